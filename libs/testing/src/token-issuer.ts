import type { Config } from '@concert/config';
import type { QueueSettingsChange } from '@concert/contract';
import { queueDefaultsOf, storeQueueSettings, type Sql } from '@concert/db';
import { connectWaitingRoom, issueQueueToken, newDrawSeed } from '@concert/queue';
import { createQueueTokenSigner, readPem, signingKeyFrom } from '@concert/tokens';
import type { TapLike } from './context.js';

/**
 * Issues queue tokens the way the gateway does (`issueQueueToken`: the same script, the same
 * signer), for tests of the services that consume them, without the gateway app. `configure`
 * stores a queue's settings as the admin API does: PostgreSQL, then Redis.
 */
export async function createTokenIssuer(t: TapLike, config: Config, opts: { sql: Sql }) {
  const { redis, waitingRoom } = connectWaitingRoom(config);
  t.teardown(() => redis.disconnect());
  const signingPem = readPem({ text: config.TOKEN_PRIVATE_KEY, file: config.TOKEN_PRIVATE_KEY_FILE })!;
  const signer = createQueueTokenSigner(signingKeyFrom(signingPem, 'TOKEN_PRIVATE_KEY'), {
    ttlSeconds: config.TOKEN_TTL_SECONDS,
  });
  const defaults = queueDefaultsOf(config);

  return {
    waitingRoom,
    signer,
    /** Creates or changes a queue (missing settings take the configuration's defaults). */
    async configure(queueId: string, change: QueueSettingsChange = {}) {
      const { settings, drawSeed } = await storeQueueSettings(opts.sql, queueId, change, defaults, newDrawSeed());
      const { queueId: _id, ...values } = settings;
      await waitingRoom.configure(queueId, { ...values, drawSeed });
      return settings;
    },
    /** Joins `queueId` as `userId`; returns the signed token, its state and an auth header. */
    async join(queueId: string, userId: string) {
      const issued = await issueQueueToken({ waitingRoom, signer }, queueId, userId);
      if (!issued) throw new Error(`queue ${queueId} is not configured`);
      return {
        userId,
        queueId,
        token: issued.token,
        status: issued.status,
        claims: { userId, tokenId: issued.tokenId, issuedAt: issued.issuedAt },
        headers: { authorization: `Bearer ${issued.token}` },
      };
    },
  };
}

import Fastify from 'fastify';
import type { Config } from '@concert/config';
import { connectWaitingRoom } from '@concert/queue';
import { loadSigningKey, queueTokensPlugin } from '@concert/tokens';
import type { TapLike } from './context.js';

/**
 * Issues queue tokens the way the gateway does (same waiting-room script, same signer), for
 * tests of the services that consume them, without depending on the gateway app.
 */
export async function createTokenIssuer(t: TapLike, config: Config) {
  const { redis, waitingRoom } = connectWaitingRoom(config);
  const signer = Fastify({ logger: false });
  await signer.register(queueTokensPlugin, { key: loadSigningKey(config), ttlSeconds: config.TOKEN_TTL_SECONDS });
  await signer.ready();
  t.teardown(async () => {
    await signer.close();
    redis.disconnect();
  });

  return {
    waitingRoom,
    /** Joins `queueId` as `userId`; returns the signed token, its state and an auth header. */
    async join(queueId: string, userId: string) {
      const joined = await waitingRoom.join(queueId, userId);
      if (!joined) throw new Error(`queue ${queueId} is not configured`);
      const token = signer.queueTokens.sign({ userId, queueId, tokenId: joined.tokenId, issuedAt: joined.issuedAt });
      return {
        userId,
        queueId,
        token,
        status: joined.status,
        claims: { userId, tokenId: joined.tokenId, issuedAt: joined.issuedAt },
        headers: { authorization: `Bearer ${token}` },
      };
    },
  };
}

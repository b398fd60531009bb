import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import {
  findStoredResponse,
  type IdempotencyScope,
  type IdempotentRequest,
  type StoredResponse,
} from '@concert/booking-domain';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * preHandler for an idempotent write: when this user already completed a request with this
     * `Idempotency-Key`, answer with the stored response at once, before any liveness check, so a
     * client that lost the response of a payment (which ended its token) still learns the outcome.
     */
    replayIdempotent<S extends IdempotencyScope>(
      scope: S,
      requestOf: (request: FastifyRequest) => IdempotentRequest<S>,
      options?: ReplayOptions,
    ): (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
  interface FastifyReply {
    /** Sends a use case's (possibly replayed) response, marking a replay `Idempotent-Replayed: true`. */
    sendStored<T>(result: StoredResponse<T>, location?: string): FastifyReply;
  }
}

export type ReplayOptions = {
  /** Runs before a replay is sent (a payment makes sure its token has ended). */
  onReplay?: (request: FastifyRequest) => Promise<void>;
  /** The `Location` of a replayed 201, from its stored body. */
  locationOf?: (body: never) => string;
};

const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
const REPLAYED_HEADER = 'idempotent-replayed';

/** Idempotency-Key over HTTP: replaying stored responses and saying so. */
async function idempotency(app: FastifyInstance) {
  app.decorate(
    'replayIdempotent',
    <S extends IdempotencyScope>(
      scope: S,
      requestOf: (request: FastifyRequest) => IdempotentRequest<S>,
      options: ReplayOptions = {},
    ) =>
      async (request: FastifyRequest, reply: FastifyReply) => {
        const key = request.headers[IDEMPOTENCY_KEY_HEADER];
        if (typeof key !== 'string') return;
        const stored = await findStoredResponse(app.sql, {
          userId: request.fan.userId,
          scope,
          key,
          request: requestOf(request),
        });
        if (!stored) return;
        await options.onReplay?.(request);
        await reply.sendStored(stored, options.locationOf?.(stored.body as never));
      },
  );

  app.decorateReply('sendStored', function <T>(this: FastifyReply, result: StoredResponse<T>, location?: string) {
    if (result.replayed) this.header(REPLAYED_HEADER, 'true');
    if (location && result.statusCode === 201) this.header('location', location);
    return this.code(result.statusCode).send(result.body);
  });
}

export const idempotencyPlugin = fp(idempotency, { name: 'idempotency', dependencies: ['database', 'fan-guard'] });

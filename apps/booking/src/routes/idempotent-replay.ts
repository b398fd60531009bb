import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { findStoredResponse } from '@concert/booking-domain';

/**
 * preHandler for idempotent POSTs: when this user already completed a request with this
 * `Idempotency-Key`, answer with the stored response before any liveness check, so that a client
 * that lost the response of a payment (which ended its token) can still learn the outcome. The
 * token's signature is still required: it says who the user is.
 */
export function replayIfStored(app: FastifyInstance, scope: string, requestOf: (request: FastifyRequest) => unknown) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const key = request.headers['idempotency-key'];
    if (typeof key !== 'string') return;
    const { userId } = app.queueTokens.verify(request);
    const stored = await findStoredResponse(app.sql, { userId, scope, key, request: requestOf(request) });
    if (stored) return reply.header('idempotent-replayed', 'true').code(stored.statusCode).send(stored.body);
  };
}

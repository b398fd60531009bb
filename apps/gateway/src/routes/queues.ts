import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { QueueErrors, type Placement } from '@concert/queue';
import { errorResponses } from '@concert/http';
import { issuedToken, joinBody, queueFigures, queueParams, tokenStatus } from '../schemas/queues.js';

const bearer = [{ queueToken: [] }];

function placementBody(queueId: string, placement: Placement) {
  return {
    queueId,
    status: placement.status,
    position: placement.position,
    etaSeconds: placement.etaSeconds,
    activeUntil: placement.activeUntil?.toISOString() ?? null,
  };
}

/** Joining, polling and leaving the line, and its public figures. */
export default async function queueRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/queues/:queueId/tokens',
    {
      schema: {
        tags: ['queue'],
        summary: 'Join the queue (or get back the live token this user already holds)',
        params: queueParams,
        body: joinBody,
        response: { 200: issuedToken, 201: issuedToken, ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const { queueId } = request.params;
      const joined = await app.waitingRoom.join(queueId, request.body.userId);
      if (!joined) throw new QueueErrors.QUEUE_NOT_FOUND(queueId);
      const token = app.queueTokens.sign({
        userId: request.body.userId,
        queueId,
        tokenId: joined.tokenId,
        issuedAt: joined.issuedAt,
      });
      return reply.code(joined.isNew ? 201 : 200).send({ token, ...placementBody(queueId, joined) });
    },
  );

  /** The caller's token, checked against the queue in the path (another queue's token is invalid here). */
  const claimsFor = (request: Parameters<typeof app.queueTokens.verify>[0], queueId: string) => {
    const claims = app.queueTokens.verify(request);
    if (claims.queueId !== queueId) throw new QueueErrors.TOKEN_INVALID();
    return claims;
  };

  app.get(
    '/queues/:queueId/tokens/me',
    {
      schema: {
        tags: ['queue'],
        summary: 'Where my token stands',
        security: bearer,
        params: queueParams,
        response: { 200: tokenStatus, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const { queueId } = request.params;
      const placement = await app.waitingRoom.status(queueId, claimsFor(request, queueId));
      if (!placement) throw new QueueErrors.TOKEN_EXPIRED();
      return placementBody(queueId, placement);
    },
  );

  app.delete(
    '/queues/:queueId/tokens/me',
    {
      schema: {
        tags: ['queue'],
        summary: 'Leave the queue; the place (waiting or active) is freed',
        security: bearer,
        params: queueParams,
        response: { 204: Type.Null({ description: 'Left' }), ...errorResponses(400, 401) },
      },
    },
    async (request, reply) => {
      const { queueId } = request.params;
      const { removed } = await app.waitingRoom.remove(queueId, claimsFor(request, queueId));
      if (!removed) throw new QueueErrors.TOKEN_EXPIRED();
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/queues/:queueId',
    {
      schema: {
        tags: ['queue'],
        summary: 'Public figures of a queue',
        params: queueParams,
        response: { 200: queueFigures, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const { queueId } = request.params;
      const figures = await app.waitingRoom.figures(queueId);
      if (!figures) throw new QueueErrors.QUEUE_NOT_FOUND(queueId);
      return { queueId, ...figures };
    },
  );
}

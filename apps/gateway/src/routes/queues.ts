import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '@concert/config';
import {
  emptyBody,
  eventsQuery,
  isQueueId,
  placement,
  placementEvent,
  queueFigures,
  queueParams,
  queueToken,
  type QueueFigures,
} from '@concert/contract';
import {
  commonResponseHeaders,
  emptyBodyAsObject,
  errorResponses,
  HttpErrors,
  noContent,
  respond,
} from '@concert/http';
import { issueQueueToken, QueueErrors, type Placement } from '@concert/queue';
import { bearerToken, TokenErrors, type Identity, type QueueTokenClaims } from '@concert/tokens';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who joins: the verified identity token's user. */
    identity: Identity;
  }
}

const identityBearer = [{ identityToken: [] }];
const queueBearer = [{ queueToken: [] }];

const toView = (queueId: string, where: Placement) => ({ queueId, ...where });

/** Joining, polling and leaving the line, and its public figures. */
export default async function queueRoutes(fastify: FastifyInstance, opts: { config: Config }) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { config } = opts;
  app.decorateRequest('identity', null as unknown as Identity);

  /** preHandler: the caller is who their identity token says (never a user id they name). */
  async function authenticateIdentity(request: FastifyRequest) {
    request.identity = await app.identity.verify(bearerToken(request));
  }

  /** The caller's queue token, which must be for the queue in the path. */
  async function queueTokenFor(
    request: FastifyRequest,
    queueId: string,
    opts: { allowQuery?: boolean } = {},
  ): Promise<QueueTokenClaims> {
    const claims = await app.queueTokens.verify(bearerToken(request, opts));
    if (claims.queueId !== queueId) throw new TokenErrors.TOKEN_INVALID();
    return claims;
  }

  /** A queue's public figures (the operators' extras left out). */
  async function publicFigures(queueId: string): Promise<QueueFigures | null> {
    const all = await app.waitingRoom.figures(queueId);
    if (!all) return null;
    const { seatsLeft: _seats, admittedTotal: _admitted, abandonedTotal: _abandoned, ...shown } = all;
    return { queueId, ...shown };
  }

  app.post(
    '/queues/:queueId/tokens',
    {
      onRequest: app.limitRate('join-address', config.ADDRESS_RATE_LIMIT_PER_MINUTE, (request) => request.ip),
      preValidation: emptyBodyAsObject,
      preHandler: [
        authenticateIdentity,
        app.limitRate('join-user', config.JOIN_RATE_LIMIT_PER_MINUTE, (request) => request.identity.userId),
      ],
      schema: {
        operationId: 'joinQueue',
        tags: ['queue'],
        summary: 'Join the queue as the identity token’s user',
        description:
          'One live token per user and queue: joining again (a refresh, a second tab or device) gives back ' +
          'the same token and place (200). A fan who arrives while the queue is open, has room and nobody ' +
          'waits is admitted at once.',
        security: identityBearer,
        params: queueParams,
        body: emptyBody,
        response: {
          201: respond(queueToken, 'A new place in line (or admitted at once)', {
            location: Type.String({ description: 'Where to poll: /queues/{queueId}/tokens/me' }),
          }),
          200: respond(queueToken, 'You already hold a place: the same token and place as before'),
          ...errorResponses(
            HttpErrors.VALIDATION_ERROR,
            TokenErrors.IDENTITY_INVALID,
            QueueErrors.QUEUE_NOT_FOUND,
            HttpErrors.RATE_LIMITED,
          ),
        },
      },
    },
    async (request, reply) => {
      const { queueId } = request.params;
      const issued = isQueueId(queueId)
        ? await issueQueueToken(
            { waitingRoom: app.waitingRoom, signer: app.queueTokens as Required<typeof app.queueTokens> },
            queueId,
            request.identity.userId,
          )
        : null;
      if (!issued) throw new QueueErrors.QUEUE_NOT_FOUND(queueId);
      const { token, tokenId: _tokenId, issuedAt: _issuedAt, isNew, ...where } = issued;
      if (isNew) reply.code(201).header('location', `/queues/${encodeURIComponent(queueId)}/tokens/me`);
      return { token, ...toView(queueId, where) };
    },
  );

  app.get(
    '/queues/:queueId/tokens/me',
    {
      schema: {
        operationId: 'pollToken',
        tags: ['queue'],
        summary: 'Where my token stands (a poll also counts as presence)',
        security: queueBearer,
        params: queueParams,
        response: {
          200: respond(placement, 'The placement; ask again after `pollAfterSeconds`', {
            'retry-after': Type.Integer({ description: 'The same as pollAfterSeconds' }),
          }),
          ...errorResponses(TokenErrors.TOKEN_INVALID, TokenErrors.TOKEN_EXPIRED),
        },
      },
    },
    async (request, reply) => {
      const { queueId } = request.params;
      const claims = await queueTokenFor(request, queueId);
      const where = await app.placements.placement(queueId, claims);
      if (!where) throw new TokenErrors.TOKEN_EXPIRED();
      // Written down with everyone else this instance saw in the same second: no round trip here.
      if (where.status === 'WAITING') app.presence.seen(queueId, claims.userId);
      reply.header('retry-after', where.pollAfterSeconds);
      return toView(queueId, where);
    },
  );

  app.get(
    '/queues/:queueId/tokens/me/events',
    {
      schema: {
        operationId: 'streamToken',
        tags: ['queue'],
        summary: 'My placement as it changes (server-sent events; an open stream counts as presence)',
        description:
          'The placement at once (`event: status`), then whenever it changes (at most about once a second), a ' +
          'comment every 15 s, and `event: end` with `{ "reason": "EXPIRED" }` before closing when the token ' +
          "dies. The token goes in the Authorization header, or in `?access_token=` (browsers' EventSource). " +
          'Errors before the stream opens are those of a poll.',
        security: queueBearer,
        params: queueParams,
        querystring: eventsQuery,
        response: {
          200: {
            description: 'The event stream (text/event-stream)',
            headers: commonResponseHeaders,
            content: { 'text/event-stream': { schema: placementEvent } },
          },
          ...errorResponses(HttpErrors.VALIDATION_ERROR, TokenErrors.TOKEN_INVALID, TokenErrors.TOKEN_EXPIRED),
        },
      },
    },
    async (request, reply) => {
      const { queueId } = request.params;
      const claims = await queueTokenFor(request, queueId, { allowQuery: true });
      const first = await app.placements.placement(queueId, claims);
      if (!first) throw new TokenErrors.TOKEN_EXPIRED();
      app.eventStreams.assertRoom();
      app.eventStreams.open(reply, queueId, claims, first);
      return reply;
    },
  );

  app.delete(
    '/queues/:queueId/tokens/me',
    {
      schema: {
        operationId: 'leaveQueue',
        tags: ['queue'],
        summary: 'Leave the queue; the place (waiting or active) is freed',
        security: queueBearer,
        params: queueParams,
        response: {
          204: noContent('Left; the token is dead'),
          ...errorResponses(TokenErrors.TOKEN_INVALID, TokenErrors.TOKEN_EXPIRED),
        },
      },
    },
    async (request, reply) => {
      const { queueId } = request.params;
      const claims = await queueTokenFor(request, queueId);
      const { removed } = await app.waitingRoom.remove(queueId, claims);
      if (!removed) throw new TokenErrors.TOKEN_EXPIRED();
      app.placements.departed(queueId, claims.tokenId);
      return reply.code(204).send();
    },
  );

  app.get(
    '/queues/:queueId',
    {
      schema: {
        operationId: 'getQueue',
        security: [],
        tags: ['queue'],
        summary: 'Public figures of a queue (cacheable for 1 s)',
        params: queueParams,
        response: {
          200: respond(queueFigures, 'The figures', { 'cache-control': Type.Literal('public, max-age=1') }),
          ...errorResponses(QueueErrors.QUEUE_NOT_FOUND),
        },
      },
    },
    async (request, reply) => {
      const { queueId } = request.params;
      const figures = isQueueId(queueId) ? await publicFigures(queueId) : null;
      if (!figures) throw new QueueErrors.QUEUE_NOT_FOUND(queueId);
      reply.header('cache-control', 'public, max-age=1');
      return figures;
    },
  );
}

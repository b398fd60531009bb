import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '@concert/config';
import {
  isQueueId,
  isUserId,
  queueOverview,
  queueOverviewList,
  queueParams,
  queueSettings,
  queueSettingsChange,
  queueUserParams,
  type QueueOverview,
  type QueueSettings,
} from '@concert/contract';
import { adminKeyGuard, errorResponses, HttpErrors, noContent, respond } from '@concert/http';
import { newDrawSeed, QueueErrors } from '@concert/queue';
import { findQueueSettings, listQueueSettings, queueDefaultsOf, storeQueueSettings } from '@concert/db';

const adminKey = [{ adminKey: [] }];

/** Operators' queue settings and controls, behind `X-Admin-Key`. */
export default async function adminRoutes(fastify: FastifyInstance, opts: { config: Config }) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onRequest', adminKeyGuard(opts.config.ADMIN_API_KEY!));
  const defaults = queueDefaultsOf(opts.config);

  /** Stored settings with the live figures from Redis (restored from them if Redis lost the queue). */
  async function overview(settings: QueueSettings): Promise<QueueOverview | null> {
    const { queueId, ...stored } = settings;
    const figures = await app.waitingRoom.figures(queueId);
    return figures && { queueId, ...stored, ...figures };
  }

  app.put(
    '/admin/queues/:queueId',
    {
      schema: {
        operationId: 'putQueue',
        tags: ['admin'],
        summary: 'Create a queue or change its settings (fields left out keep their value, or take the default)',
        security: adminKey,
        params: queueParams,
        body: queueSettingsChange,
        response: {
          200: respond(queueSettings, 'The stored settings'),
          ...errorResponses(HttpErrors.VALIDATION_ERROR, HttpErrors.ADMIN_KEY_INVALID),
        },
      },
    },
    async (request) => {
      const { queueId } = request.params;
      if (!isQueueId(queueId)) {
        throw new HttpErrors.VALIDATION_ERROR('queueId must be 1–64 of A-Z a-z 0-9 . _ : @ -');
      }
      // PostgreSQL first: it is the durable copy Redis is restored from, the lobby draw's seed with it.
      const { settings, created, drawSeed } = await storeQueueSettings(
        app.sql,
        queueId,
        request.body,
        defaults,
        newDrawSeed(),
      );
      const { queueId: _id, ...values } = settings;
      await app.waitingRoom.configure(queueId, { ...values, drawSeed });
      request.log.info({ queueId, settings: values, created }, 'queue settings stored');
      return settings;
    },
  );

  app.get(
    '/admin/queues',
    {
      schema: {
        operationId: 'listQueues',
        tags: ['admin'],
        summary: 'Every queue: settings and live figures',
        security: adminKey,
        response: {
          200: respond(queueOverviewList, 'Every queue, by id'),
          ...errorResponses(HttpErrors.ADMIN_KEY_INVALID),
        },
      },
    },
    async (request) => {
      const all = await Promise.all((await listQueueSettings(app.sql)).map(overview));
      // A queue Redis could not be given back this moment is left out, rather than failing the list.
      const shown = all.filter((queue) => queue !== null);
      if (shown.length < all.length) request.log.warn({ missing: all.length - shown.length }, 'queues without figures');
      return shown;
    },
  );

  app.get(
    '/admin/queues/:queueId',
    {
      schema: {
        operationId: 'getQueueOverview',
        tags: ['admin'],
        summary: 'One queue: settings and live figures',
        security: adminKey,
        params: queueParams,
        response: {
          200: respond(queueOverview, 'The queue'),
          ...errorResponses(HttpErrors.ADMIN_KEY_INVALID, QueueErrors.QUEUE_NOT_FOUND),
        },
      },
    },
    async (request) => {
      const { queueId } = request.params;
      const settings = isQueueId(queueId) ? await findQueueSettings(app.sql, queueId) : null;
      const queue = settings && (await overview(settings));
      if (!queue) throw new QueueErrors.QUEUE_NOT_FOUND(queueId);
      return queue;
    },
  );

  app.delete(
    '/admin/queues/:queueId/users/:userId',
    {
      schema: {
        operationId: 'revokeUser',
        tags: ['admin'],
        summary: "End a user's token in a queue (its place, waiting or active, is freed)",
        security: adminKey,
        params: queueUserParams,
        response: {
          204: noContent('Revoked'),
          ...errorResponses(HttpErrors.ADMIN_KEY_INVALID, QueueErrors.TOKEN_NOT_FOUND),
        },
      },
    },
    async (request, reply) => {
      const { queueId, userId } = request.params;
      const tokenId = isQueueId(queueId) && isUserId(userId) ? await app.waitingRoom.revoke(queueId, userId) : null;
      if (tokenId === null) throw new QueueErrors.TOKEN_NOT_FOUND(userId, queueId);
      app.placements.departed(queueId, tokenId);
      request.log.info({ queueId, userId }, 'token revoked');
      return reply.code(204).send();
    },
  );
}

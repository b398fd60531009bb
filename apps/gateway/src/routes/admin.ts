import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { QueueErrors } from '@concert/queue';
import { errorResponses } from '@concert/http';
import { queueParams, queueSettings, queueSettingsBody } from '../schemas/queues.js';

// Hashing first gives equal lengths, so the comparison takes the same time whatever was sent.
const digest = (value: string) => createHash('sha256').update(value).digest();

/** Operators' queue settings, behind `X-Admin-Key`. */
export default async function adminRoutes(fastify: FastifyInstance, opts: { adminApiKey: string }) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const expected = digest(opts.adminApiKey);

  app.addHook('onRequest', async (request) => {
    const given = request.headers['x-admin-key'];
    if (typeof given !== 'string' || !timingSafeEqual(digest(given), expected)) {
      throw new QueueErrors.ADMIN_KEY_INVALID();
    }
  });

  app.put(
    '/admin/queues/:queueId',
    {
      schema: {
        tags: ['admin'],
        summary: 'Create a queue or change its settings (fields left out keep their value or default)',
        security: [{ adminKey: [] }],
        params: queueParams,
        body: queueSettingsBody,
        response: { 200: queueSettings, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const { queueId } = request.params;
      const { created, ...settings } = await app.waitingRoom.configure(queueId, request.body);
      request.log.info({ queueId, settings, created }, 'queue settings stored');
      return { queueId, ...settings };
    },
  );
}

import type { FastifyInstance } from 'fastify';
import { jwks } from '../schemas/queues.js';

/** The public keys queue tokens are signed with, for any service that checks them. */
export default async function jwksRoutes(app: FastifyInstance) {
  app.get(
    '/.well-known/jwks.json',
    { schema: { tags: ['tokens'], summary: 'Public keys of queue tokens (JWKS)', response: { 200: jwks } } },
    async (_request, reply) => {
      return reply.header('cache-control', 'public, max-age=300').send(app.queueTokens.jwks());
    },
  );
}

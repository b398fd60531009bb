import type { FastifyInstance } from 'fastify';
import { jsonWebKeySet } from '@concert/contract';
import { respond } from '@concert/http';

/** The public keys queue tokens are signed with, for any service that checks them. */
export default async function keyRoutes(app: FastifyInstance) {
  app.get(
    '/.well-known/jwks.json',
    {
      schema: {
        operationId: 'getJwks',
        security: [],
        tags: ['tokens'],
        summary: 'Public keys of queue tokens (JWKS)',
        response: { 200: respond(jsonWebKeySet, 'The key set; booking checks queue tokens with it') },
      },
    },
    async (_request, reply) => {
      return reply.header('cache-control', 'public, max-age=300').send(app.queueTokens.jwks!());
    },
  );
}

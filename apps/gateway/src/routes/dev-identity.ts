import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '@concert/config';
import { devIdentityRequest, identityGrant } from '@concert/contract';
import { errorResponses, HttpErrors, respond } from '@concert/http';

/**
 * The development identity provider (DEV_IDENTITY=true only): an identity token for whoever is
 * asked for. What `npm start`, demos and load tests sign in with.
 */
export default async function devIdentityRoutes(fastify: FastifyInstance, opts: { config: Config }) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { config } = opts;

  app.post(
    '/dev/identity',
    {
      onRequest: app.limitRate('dev-identity-address', config.ADDRESS_RATE_LIMIT_PER_MINUTE, (request) => request.ip),
      preHandler: app.limitRate(
        'dev-identity-user',
        config.JOIN_RATE_LIMIT_PER_MINUTE,
        (request) => (request.body as { userId: string }).userId,
      ),
      schema: {
        operationId: 'createDevIdentity',
        security: [],
        tags: ['identity'],
        summary: 'Sign in as anyone (development identity provider; never in production)',
        body: devIdentityRequest,
        response: {
          200: respond(identityGrant, 'An identity token for that user'),
          ...errorResponses(HttpErrors.VALIDATION_ERROR, HttpErrors.RATE_LIMITED),
        },
      },
    },
    async (request) => app.devIdentity!.issue(request.body.userId),
  );
}

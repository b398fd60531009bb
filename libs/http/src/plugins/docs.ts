import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

type SecurityScheme =
  { type: 'http'; scheme: 'bearer'; bearerFormat?: string } | { type: 'apiKey'; in: 'header'; name: string };

export type DocsOptions = {
  title: string;
  description: string;
  /** Security schemes the routes of this service refer to by name. */
  securitySchemes?: Record<string, SecurityScheme>;
};

/** OpenAPI 3 generated from the route schemas: the UI at `/docs`, the document at `/docs/json`. */
async function docs(app: FastifyInstance, opts: DocsOptions) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: opts.title, description: opts.description, version: '1.0.0' },
      components: { securitySchemes: opts.securitySchemes ?? {} },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', logLevel: 'warn' });
}

export const docsPlugin = fp(docs, { name: 'docs', fastify: '5.x' });

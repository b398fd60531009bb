import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { commonResponseHeaders } from '../schemas.js';

type SecurityScheme =
  | { type: 'http'; scheme: 'bearer'; bearerFormat?: string; description?: string }
  | { type: 'apiKey'; in: 'header'; name: string; description?: string };

export type DocsOptions = {
  title: string;
  description: string;
  /** Where clients reach this service (the document's `servers`). */
  serverUrl: string;
  /** Security schemes the routes of this service refer to by name. */
  securitySchemes?: Record<string, SecurityScheme>;
  tags?: { name: string; description: string }[];
};

type Json = unknown;
type JsonObject = Record<string, Json>;

/**
 * Every schema with a `title` (the contract's named schemas: Placement, Reservation, ...) is
 * listed once under `components.schemas` and referred to by `$ref` everywhere it appears, so
 * code generators produce one named type per schema. Two different schemas with one title are a
 * contract bug and fail loudly.
 */
export function nameComponents(document: JsonObject): JsonObject {
  const components = ((document.components ??= {}) as JsonObject).schemas ?? {};
  const named = components as Record<string, Json>;
  const seen = new Map<string, string>();

  const visit = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(visit);
    if (!node || typeof node !== 'object') return node;
    const copy: JsonObject = {};
    for (const [key, value] of Object.entries(node))
      copy[key] = key === 'examples' || key === 'example' ? value : visit(value);
    if (typeof copy.title !== 'string') return copy;
    const title = copy.title;
    const text = JSON.stringify(copy);
    const previous = seen.get(title);
    if (previous !== undefined && previous !== text) {
      throw new Error(`OpenAPI: two different schemas are titled ${title}; give one of them another title`);
    }
    seen.set(title, text);
    named[title] = copy;
    return { $ref: `#/components/schemas/${title}` };
  };

  const paths = (document.paths ?? {}) as Record<string, Record<string, JsonObject>>;
  for (const operations of Object.values(paths)) {
    for (const operation of Object.values(operations)) {
      const requestBody = operation.requestBody as { content?: Record<string, JsonObject> } | undefined;
      for (const media of Object.values(requestBody?.content ?? {})) media.schema = visit(media.schema);
      const responses = (operation.responses ?? {}) as Record<string, { content?: Record<string, JsonObject> }>;
      for (const response of Object.values(responses)) {
        for (const media of Object.values(response.content ?? {})) media.schema = visit(media.schema);
      }
    }
  }
  (document.components as JsonObject).schemas = Object.fromEntries(
    Object.entries(named).sort(([a], [b]) => a.localeCompare(b)),
  );
  return document;
}

/**
 * Every answer carries the common headers (`x-request-id`, set by createServer's hook for every
 * request): documented here, once, on every response of every operation.
 */
function documentCommonHeaders(document: JsonObject): JsonObject {
  const common = Object.fromEntries(
    Object.entries(commonResponseHeaders).map(([name, header]) => {
      const { description, ...schema } = JSON.parse(JSON.stringify(header)) as JsonObject;
      return [name, { description, schema }];
    }),
  );
  const paths = (document.paths ?? {}) as Record<string, Record<string, JsonObject>>;
  for (const operations of Object.values(paths)) {
    for (const operation of Object.values(operations)) {
      for (const response of Object.values((operation.responses ?? {}) as Record<string, JsonObject>)) {
        response.headers = { ...common, ...((response.headers as JsonObject | undefined) ?? {}) };
      }
    }
  }
  return document;
}

/** OpenAPI 3.1 generated from the route schemas: the UI at `/docs`, the document at `/docs/json`. */
async function docs(app: FastifyInstance, opts: DocsOptions) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: opts.title,
        description: opts.description,
        version: '2.0.0',
        license: { name: 'UNLICENSED', identifier: 'UNLICENSED' },
      },
      servers: [{ url: opts.serverUrl }],
      tags: opts.tags,
      components: { securitySchemes: opts.securitySchemes ?? {} },
    },
    transformObject: (document) =>
      nameComponents(
        documentCommonHeaders(('openapiObject' in document ? document.openapiObject : {}) as JsonObject),
      ) as never,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', logLevel: 'warn' });
}

export const docsPlugin = fp(docs, { name: 'docs', fastify: '5.x' });

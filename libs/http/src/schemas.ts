import type { FastifyErrorConstructor } from '@fastify/error';
import { Type, type TSchema } from 'typebox';
import { errorBody } from '@concert/contract';
import { HttpErrors } from './errors.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type CatalogError = FastifyErrorConstructor<{ code: string; statusCode?: number }, any[]>;

/** A route's `schema.response`: one schema per status code (`200`, `'4xx'`, `'default'`). */
export type ResponseSchemas = Record<string | number, TSchema>;

/** The status and code an error constructor of a catalog produces (read off one instance). */
function describe(constructor: CatalogError): { statusCode: number; code: string } {
  const sample = new constructor();
  return { statusCode: sample.statusCode ?? 500, code: sample.code };
}

/** Errors any route may answer with: a dependency down (503) or a bug (500). */
const ALWAYS = [HttpErrors.SERVICE_UNAVAILABLE, HttpErrors.INTERNAL_ERROR];

/**
 * What a route that takes a body may answer before its own code runs: the body is not what its
 * schema says, not JSON, too large, or of another media type (see the error handler).
 */
const BODY_ERRORS = [
  HttpErrors.VALIDATION_ERROR,
  HttpErrors.INVALID_JSON,
  HttpErrors.BODY_TOO_LARGE,
  HttpErrors.UNSUPPORTED_MEDIA_TYPE,
];

const retryAfter = Type.Integer({ minimum: 0, description: 'Seconds to wait before trying again' });
const wwwAuthenticate = Type.String({ description: 'The credentials expected (RFC 9110)' });

/** Headers every response carries (the docs plugin documents them on every response). */
export const commonResponseHeaders = {
  'x-request-id': Type.String({ description: "The request's id (the caller's own, when it sent one)" }),
};

/** The headers an error of this status carries (DESIGN: Retry-After on 429 and 503, WWW-Authenticate on 401). */
function errorHeaders(statusCode: number): Record<string, TSchema> {
  return {
    ...(statusCode === 429 || statusCode === 503 ? { 'retry-after': retryAfter } : {}),
    ...(statusCode === 401 ? { 'www-authenticate': wwwAuthenticate } : {}),
  };
}

/** The error response of one status, listing the exact `code` values (an enum) it can carry. */
function errorResponse(statusCode: number, codes: Iterable<string>): TSchema {
  const sorted = [...new Set(codes)].sort();
  return Type.Object(
    {
      ...errorBody.properties,
      // Documented as an enum; serialised as a plain string (the serialiser would otherwise
      // refuse, as a 500, any code the list misses: the contract check reports those instead).
      code: Type.Unsafe<string>({ type: 'string', enum: sorted, description: 'Stable error code' }),
    },
    { description: sorted.join(', '), headers: errorHeaders(statusCode) },
  );
}

/** The `code` values a documented error response lists; undefined for a schema that is not one. */
export function documentedCodes(schema: unknown): string[] | undefined {
  const code = (schema as { properties?: { code?: { enum?: unknown } } } | undefined)?.properties?.code;
  return Array.isArray(code?.enum) ? (code.enum as string[]) : undefined;
}

/** `responses` with `errors` documented too: each error's code joins those listed for its status. */
function withErrors(responses: ResponseSchemas, errors: CatalogError[]): ResponseSchemas {
  const codesByStatus = new Map<number, Set<string>>();
  for (const error of errors) {
    const { statusCode, code } = describe(error);
    codesByStatus.set(statusCode, (codesByStatus.get(statusCode) ?? new Set()).add(code));
  }
  const merged: ResponseSchemas = { ...responses };
  for (const [statusCode, codes] of codesByStatus) {
    const listed = merged[statusCode] === undefined ? [] : documentedCodes(merged[statusCode]);
    // A status documented with another body (a readiness probe's 503) keeps its own schema.
    if (listed) merged[statusCode] = errorResponse(statusCode, [...listed, ...codes]);
  }
  return merged;
}

/**
 * Response schemas for the errors a route can throw, one per status code, each listing the exact
 * `code` values (an enum) that status can carry there. Pass the catalogs' constructors:
 * `errorResponses(TokenErrors.TOKEN_INVALID, QueueErrors.QUEUE_NOT_FOUND)`. What validation and
 * body parsing can answer is added from the route's own schema (`documentImpliedErrors`).
 */
export function errorResponses(...errors: CatalogError[]): Record<number, TSchema> {
  return withErrors({}, [...errors, ...ALWAYS]);
}

/**
 * A route's documented responses with the errors its request schemas imply: a body may be
 * refused as any of BODY_ERRORS, a querystring or headers that fail their schema as
 * VALIDATION_ERROR. Routes without documented responses are left as they are.
 */
export function documentImpliedErrors(schema: {
  response?: unknown;
  body?: unknown;
  querystring?: unknown;
  headers?: unknown;
}): ResponseSchemas | undefined {
  const responses = schema.response as ResponseSchemas | undefined;
  if (!responses) return undefined;
  const implied = schema.body ? BODY_ERRORS : schema.querystring || schema.headers ? [HttpErrors.VALIDATION_ERROR] : [];
  return implied.length ? withErrors(responses, implied) : responses;
}

/**
 * A success response: its schema with the description of what this status means on this route,
 * and the headers it carries (`Location` on 201, ...).
 */
export function respond<T extends TSchema>(schema: T, description: string, headers: Record<string, TSchema> = {}): T {
  // @fastify/swagger moves both keywords out of the schema (into the response object), so the
  // schema itself stays the named component it is.
  return { ...schema, 'x-response-description': description, headers } as T;
}

/** A response without a body (204). */
export function noContent(description: string) {
  return { type: 'null', description } as unknown as TSchema;
}

/** preValidation for routes whose body may be left out entirely: no body reads as `{}`. */
export async function emptyBodyAsObject(request: { body: unknown }) {
  request.body ??= {};
}

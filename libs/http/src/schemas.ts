import type { FastifyErrorConstructor } from '@fastify/error';
import { Type, type TSchema } from 'typebox';
import { errorBody } from '@concert/contract';
import { HttpErrors } from './errors.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type CatalogError = FastifyErrorConstructor<{ code: string; statusCode?: number }, any[]>;

/** The status and code an error constructor of a catalog produces (read off one instance). */
function describe(constructor: CatalogError): { statusCode: number; code: string } {
  const sample = new constructor();
  return { statusCode: sample.statusCode ?? 500, code: sample.code };
}

/** Errors any route may answer with: a dependency down (503) or a bug (500). */
const ALWAYS = [HttpErrors.SERVICE_UNAVAILABLE, HttpErrors.INTERNAL_ERROR];
/** What a route that validates a body may also answer, before its own code runs. */
const BODY_PARSING = [HttpErrors.INVALID_JSON, HttpErrors.BODY_TOO_LARGE, HttpErrors.UNSUPPORTED_MEDIA_TYPE];

/**
 * Response schemas for the errors a route can throw, one per status code, each listing the exact
 * `code` values (an enum) that status can carry there. Pass the catalogs' constructors:
 * `errorResponses(TokenErrors.TOKEN_INVALID, QueueErrors.QUEUE_NOT_FOUND)`.
 */
export function errorResponses(...errors: CatalogError[]): Record<number, TSchema> {
  const codesByStatus = new Map<number, Set<string>>();
  const validates = errors.includes(HttpErrors.VALIDATION_ERROR);
  for (const error of [...errors, ...(validates ? BODY_PARSING : []), ...ALWAYS]) {
    const { statusCode, code } = describe(error);
    codesByStatus.set(statusCode, (codesByStatus.get(statusCode) ?? new Set()).add(code));
  }
  return Object.fromEntries(
    [...codesByStatus].map(([statusCode, codes]) => [
      statusCode,
      Type.Object(
        {
          ...errorBody.properties,
          // Documented as an enum; serialised as a plain string (the serialiser would otherwise
          // refuse, as a 500, any code the list misses).
          code: Type.Unsafe<string>({ type: 'string', enum: [...codes].sort(), description: 'Stable error code' }),
        },
        {
          description: [...codes].sort().join(', '),
          ...(statusCode === 429 || statusCode === 503 ? { headers: { 'retry-after': retryAfter } } : {}),
          ...(statusCode === 401 ? { headers: { 'www-authenticate': wwwAuthenticate } } : {}),
        },
      ),
    ]),
  );
}

const retryAfter = Type.Integer({ minimum: 0, description: 'Seconds to wait before trying again' });
const wwwAuthenticate = Type.String({ description: 'The credentials expected (RFC 9110)' });

/** Headers every response carries, documented once. */
export const commonResponseHeaders = {
  'x-request-id': Type.String({ description: "The request's id (the caller's own, when it sent one)" }),
};

/**
 * A success response: its schema with the description of what this status means on this route,
 * and the headers it carries (`Location` on 201, ...).
 */
export function respond<T extends TSchema>(schema: T, description: string, headers: Record<string, TSchema> = {}): T {
  // @fastify/swagger moves both keywords out of the schema (into the response object), so the
  // schema itself stays the named component it is.
  return { ...schema, 'x-response-description': description, headers: { ...commonResponseHeaders, ...headers } } as T;
}

/** A response without a body (204). */
export function noContent(description: string) {
  return { type: 'null', description, headers: commonResponseHeaders } as unknown as TSchema;
}

/** preValidation for routes whose body may be left out entirely: no body reads as `{}`. */
export async function emptyBodyAsObject(request: { body: unknown }) {
  request.body ??= {};
}

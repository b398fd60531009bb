import createError from '@fastify/error';

/**
 * Errors every service can answer with. Each service package has its own catalog beside its
 * domain (queue tokens, booking); together they are the contract's `code` values, never reused.
 */
export const HttpErrors = {
  VALIDATION_ERROR: createError('VALIDATION_ERROR', '%s', 400),
  BODY_TOO_LARGE: createError('BODY_TOO_LARGE', 'Request body is larger than %s bytes', 400),
  INVALID_JSON: createError('INVALID_JSON', 'Request body is not valid JSON', 400),
  UNSUPPORTED_MEDIA_TYPE: createError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json', 415),
  ROUTE_NOT_FOUND: createError('ROUTE_NOT_FOUND', 'Route %s %s not found', 404),
  INTERNAL_ERROR: createError('INTERNAL_ERROR', 'Internal server error', 500),
  SERVICE_UNAVAILABLE: createError('SERVICE_UNAVAILABLE', 'Service unavailable, try again shortly', 503),
};

/** The JSON body of every error response (DESIGN.md, HTTP conventions). */
export type ErrorBody = { statusCode: number; code: string; error: string; message: string };

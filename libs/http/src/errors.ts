import createError from '@fastify/error';

/**
 * Errors every service can answer with. Each package has its own catalog beside its domain
 * (tokens, waiting room, booking); together they are the contract's `code` values, never reused.
 */
export const HttpErrors = {
  VALIDATION_ERROR: createError('VALIDATION_ERROR', '%s', 400),
  INVALID_JSON: createError('INVALID_JSON', 'Request body is not valid JSON', 400),
  BAD_REQUEST: createError('BAD_REQUEST', 'Malformed HTTP request: %s', 400),
  ADMIN_KEY_INVALID: createError('ADMIN_KEY_INVALID', 'Missing or wrong X-Admin-Key', 401),
  ROUTE_NOT_FOUND: createError('ROUTE_NOT_FOUND', 'Route %s %s not found', 404),
  REQUEST_TIMEOUT: createError('REQUEST_TIMEOUT', 'The request was not received in time', 408),
  BODY_TOO_LARGE: createError('BODY_TOO_LARGE', 'Request body is larger than %s bytes', 413),
  UNSUPPORTED_MEDIA_TYPE: createError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json', 415),
  HEADERS_TOO_LARGE: createError('HEADERS_TOO_LARGE', 'Request headers are too large', 431),
  RATE_LIMITED: createError('RATE_LIMITED', 'Too many requests; retry in %s seconds', 429),
  INTERNAL_ERROR: createError('INTERNAL_ERROR', 'Internal server error', 500),
  SERVICE_UNAVAILABLE: createError('SERVICE_UNAVAILABLE', 'Service unavailable, try again shortly', 503),
};
export type HttpErrorCode = keyof typeof HttpErrors;

/** An error constructor of any catalog (what `createError` returns). */
export type ErrorConstructor = { new (...args: never[]): Error & { code: string; statusCode?: number } } & {
  (...args: never[]): Error;
};

export type { ErrorBody } from '@concert/contract';

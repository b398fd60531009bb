import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { HttpErrors, type ErrorBody } from '../errors.js';
import { isInfrastructureError, OUTAGE_RETRY_AFTER_SECONDS } from '../infrastructure.js';

// Fastify's own client errors, renamed to stable codes of the contract.
const FASTIFY_CLIENT_ERRORS: Record<string, (error: FastifyError, bodyLimit: number) => FastifyError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: (_error, bodyLimit) => new HttpErrors.BODY_TOO_LARGE(bodyLimit),
  FST_ERR_CTP_INVALID_JSON_BODY: () => new HttpErrors.INVALID_JSON(),
  FST_ERR_CTP_EMPTY_JSON_BODY: (error) => new HttpErrors.VALIDATION_ERROR(error.message),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => new HttpErrors.UNSUPPORTED_MEDIA_TYPE(),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: (error) => new HttpErrors.VALIDATION_ERROR(error.message),
  FST_ERR_CTP_INVALID_TYPE: () => new HttpErrors.UNSUPPORTED_MEDIA_TYPE(),
  FST_ERR_BAD_URL: (error) => new HttpErrors.BAD_REQUEST(error.message),
};

/** The challenge a 401 answers with (RFC 9110: every 401 names the credentials it wants). */
const challengeFor = (code: string) =>
  code === 'ADMIN_KEY_INVALID' ? 'ApiKey header="X-Admin-Key"' : 'Bearer realm="concert"';

/** The contract's error body. */
export function errorPayload(statusCode: number, code: string, message: string): ErrorBody {
  return { statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message };
}

/**
 * Sends the contract's error body, with the headers its status calls for (a challenge or a
 * Retry-After the caller set already is kept).
 */
export function sendError(reply: FastifyReply, statusCode: number, code: string, message: string) {
  if (statusCode === 401 && !reply.hasHeader('www-authenticate')) reply.header('www-authenticate', challengeFor(code));
  if (statusCode === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', OUTAGE_RETRY_AFTER_SECONDS);
  return reply
    .code(statusCode)
    .type('application/json; charset=utf-8')
    .send(errorPayload(statusCode, code, message));
}

/**
 * One error handler for the whole app: contract-shaped JSON; a dependency that is down is a 503
 * with Retry-After, never a 500; details hidden at 5xx.
 */
async function errorHandler(app: FastifyInstance) {
  const bodyLimit = app.initialConfig.bodyLimit ?? 1_048_576;

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      const invalid = new HttpErrors.VALIDATION_ERROR(error.message);
      return sendError(reply, invalid.statusCode!, invalid.code, invalid.message);
    }
    const renamed = error.code ? FASTIFY_CLIENT_ERRORS[error.code]?.(error, bodyLimit) : undefined;
    const effective = renamed ?? error;
    const statusCode = effective.statusCode ?? 500;
    if (statusCode === 503 || (statusCode >= 500 && isInfrastructureError(error))) {
      // An outage: expected on a bad day, logged without a stack trace per request.
      request.log.warn({ err: { message: error.message, code: error.code } }, 'dependency unavailable');
      const shown = new HttpErrors.SERVICE_UNAVAILABLE();
      return sendError(reply, 503, shown.code, shown.message);
    }
    if (statusCode >= 500) {
      request.log.error({ err: error }, 'request failed');
      // Never the original message: it may carry internals (SQL, hosts, secrets).
      const shown = new HttpErrors.INTERNAL_ERROR();
      return sendError(reply, statusCode, shown.code, shown.message);
    }
    request.log.info({ code: effective.code, statusCode }, effective.message);
    return sendError(reply, statusCode, effective.code ?? 'BAD_REQUEST', effective.message);
  });

  app.setNotFoundHandler((request, reply) => {
    const error = new HttpErrors.ROUTE_NOT_FOUND(request.method, request.url.split('?')[0]);
    return sendError(reply, 404, error.code, error.message);
  });
}

export const errorHandlerPlugin = fp(errorHandler, { name: 'error-handler', fastify: '5.x' });

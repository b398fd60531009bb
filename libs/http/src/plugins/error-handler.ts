import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { HttpErrors, type ErrorBody } from '../errors.js';

// Fastify's own client errors, renamed to stable codes of the contract.
const FASTIFY_CLIENT_ERRORS: Record<string, (error: FastifyError, bodyLimit: number) => FastifyError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: (_error, bodyLimit) => new HttpErrors.BODY_TOO_LARGE(bodyLimit),
  FST_ERR_CTP_INVALID_JSON_BODY: () => new HttpErrors.INVALID_JSON(),
  FST_ERR_CTP_EMPTY_JSON_BODY: (error) => new HttpErrors.VALIDATION_ERROR(error.message),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => new HttpErrors.UNSUPPORTED_MEDIA_TYPE(),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: (error) => new HttpErrors.VALIDATION_ERROR(error.message),
};

function send(reply: FastifyReply, statusCode: number, code: string, message: string) {
  const body: ErrorBody = { statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message };
  return reply.code(statusCode).type('application/json; charset=utf-8').send(body);
}

/** One error handler for the whole app: contract-shaped JSON, details hidden at 5xx. */
async function errorHandler(app: FastifyInstance) {
  const bodyLimit = app.initialConfig.bodyLimit ?? 1_048_576;

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      const invalid = new HttpErrors.VALIDATION_ERROR(error.message);
      return send(reply, invalid.statusCode, invalid.code, invalid.message);
    }
    const renamed = error.code ? FASTIFY_CLIENT_ERRORS[error.code]?.(error, bodyLimit) : undefined;
    const effective = renamed ?? error;
    const statusCode = effective.statusCode ?? 500;
    if (statusCode >= 500) {
      request.log.error({ err: error }, 'request failed');
      // Never the original message: it may carry internals (SQL, hosts, secrets).
      const shown = statusCode === 503 ? new HttpErrors.SERVICE_UNAVAILABLE() : new HttpErrors.INTERNAL_ERROR();
      return send(reply, statusCode, shown.code, shown.message);
    }
    request.log.info({ code: effective.code, statusCode }, effective.message);
    return send(reply, statusCode, effective.code ?? 'BAD_REQUEST', effective.message);
  });

  app.setNotFoundHandler((request, reply) => {
    const error = new HttpErrors.ROUTE_NOT_FOUND(request.method, request.url.split('?')[0]);
    return send(reply, 404, error.code, error.message);
  });
}

export const errorHandlerPlugin = fp(errorHandler, { name: 'error-handler', fastify: '5.x' });

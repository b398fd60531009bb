import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HttpErrors, type ErrorBody } from '../errors.js';
import { isInfrastructureError, OUTAGE_RETRY_AFTER_SECONDS } from '../infrastructure.js';
import { documentedCodes, documentImpliedErrors, type ResponseSchemas } from '../schemas.js';

export type ErrorHandlerOptions = {
  /**
   * The contract check (tests turn it on, `CONTRACT_CHECK`): an answer of a documented route
   * whose status, or error `code`, its OpenAPI responses do not list is logged as an error and
   * replaced by a 500 INTERNAL_ERROR naming it, so the test that caused it fails.
   */
  checkAnswers?: boolean;
};

// Fastify's own client errors, renamed to stable codes of the contract.
const FASTIFY_CLIENT_ERRORS: Record<string, (error: FastifyError, bodyLimit: number) => FastifyError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: (_error, bodyLimit) => new HttpErrors.BODY_TOO_LARGE(bodyLimit),
  FST_ERR_CTP_INVALID_JSON_BODY: () => new HttpErrors.INVALID_JSON(),
  FST_ERR_CTP_EMPTY_JSON_BODY: (error) => new HttpErrors.VALIDATION_ERROR(error.message),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => new HttpErrors.UNSUPPORTED_MEDIA_TYPE(),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: (error) => new HttpErrors.VALIDATION_ERROR(error.message),
  FST_ERR_CTP_INVALID_TYPE: () => new HttpErrors.UNSUPPORTED_MEDIA_TYPE(),
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
 * Fastify's `frameworkErrors`: what the router refuses before any route is chosen (a path that is
 * not valid percent-encoding) is the contract's 400 BAD_REQUEST, with the headers every answer
 * carries (no hook runs for it).
 */
export function answerRouterError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const refused = new HttpErrors.BAD_REQUEST(error.message);
  reply.header('x-request-id', request.id).header('cache-control', 'no-store');
  return sendError(reply, refused.statusCode!, refused.code, refused.message);
}

/** The `code` of a serialised error body, if it has one. */
function codeOf(payload: unknown): string | undefined {
  const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : '';
  try {
    const code = (JSON.parse(text) as { code?: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/** The part of an answer its route's responses do not list ("status 202", "409 SOME_CODE"), if any. */
function undocumentedPart(responses: ResponseSchemas, statusCode: number, payload: unknown): string | undefined {
  const schema = responses[statusCode] ?? responses[`${String(statusCode)[0]}xx`] ?? responses.default;
  if (!schema) return `status ${statusCode}`;
  const codes = statusCode >= 400 ? documentedCodes(schema) : undefined;
  if (!codes) return undefined;
  const code = codeOf(payload);
  return code !== undefined && codes.includes(code) ? undefined : `${statusCode} ${code ?? 'without a code'}`;
}

/** onSend of the contract check: an undocumented answer becomes a loud 500 (see ErrorHandlerOptions). */
async function checkAnswer(request: FastifyRequest, reply: FastifyReply, payload: unknown) {
  const responses = request.routeOptions.schema?.response as ResponseSchemas | undefined;
  if (!responses) return payload;
  const part = undocumentedPart(responses, reply.statusCode, payload);
  if (!part) return payload;
  const message = `${request.method} ${request.routeOptions.url} answered ${part}, which its OpenAPI responses do not list`;
  request.log.error({ statusCode: reply.statusCode, code: codeOf(payload) }, message);
  // Also past a silenced logger (tests run the apps with logging off): a contract bug is never quiet.
  process.emitWarning(message, 'UndocumentedAnswer');
  for (const header of ['www-authenticate', 'retry-after', 'location', 'idempotent-replayed', 'content-length'])
    reply.removeHeader(header);
  reply.code(500).type('application/json; charset=utf-8');
  return JSON.stringify(errorPayload(500, new HttpErrors.INTERNAL_ERROR().code, message));
}

/**
 * One error handler for the whole app: contract-shaped JSON; a dependency that is down is a 503
 * with Retry-After, never a 500; details hidden at 5xx. Routes with a body, querystring or headers
 * schema have the errors those imply added to their documented responses here, where the errors
 * are made, so no route has to list them.
 */
async function errorHandler(app: FastifyInstance, opts: ErrorHandlerOptions) {
  const bodyLimit = app.initialConfig.bodyLimit ?? 1_048_576;

  app.addHook('onRoute', (route) => {
    const responses = route.schema && documentImpliedErrors(route.schema);
    if (responses) route.schema!.response = responses;
  });
  if (opts.checkAnswers) app.addHook('onSend', checkAnswer);

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

import type { FastifyInstance, FastifyRequest } from 'fastify';

/** What one answer of a watched operation was, as the client saw it. */
export type OperationAnswer = {
  request: FastifyRequest;
  statusCode: number;
  /** The contract's error `code` of a 4xx/5xx answer. */
  code: string | undefined;
  /** The serialized body (a string for JSON answers). */
  payload: unknown;
  /** `Idempotent-Replayed: true`: a stored answer sent again, no new effect. */
  replayed: boolean;
};

/** The `code` of a contract error body, or undefined when the payload is not one. */
export function errorCodeOf(payload: unknown): string | undefined {
  if (typeof payload !== 'string' || payload.charCodeAt(0) !== 123 /* { */) return undefined;
  try {
    const code = (JSON.parse(payload) as { code?: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/** A successful JSON body, parsed; undefined when it is not JSON. */
export function jsonBodyOf<T>(payload: unknown): T | undefined {
  if (typeof payload !== 'string') return undefined;
  try {
    return JSON.parse(payload) as T;
  } catch {
    return undefined;
  }
}

/** A bounded label value for an answer: the error code in lower case, or `fallback` for a success. */
export const outcomeOf = (answer: OperationAnswer, success: string) =>
  answer.statusCode < 400 ? success : (answer.code ?? `http_${answer.statusCode}`).toLowerCase();

/**
 * Calls `observers[operationId]` with every answer of that operation (the route's OpenAPI
 * `operationId`), from one onSend hook: business metrics watch routes without living in them.
 * An observer that throws is logged and ignored; it never changes the answer.
 */
export function observeOperations(app: FastifyInstance, observers: Record<string, (answer: OperationAnswer) => void>) {
  app.addHook('onSend', async (request, reply, payload) => {
    const operationId = (request.routeOptions.schema as { operationId?: string } | undefined)?.operationId;
    const observe = operationId ? observers[operationId] : undefined;
    if (!observe) return payload;
    try {
      observe({
        request,
        statusCode: reply.statusCode,
        code: reply.statusCode >= 400 ? errorCodeOf(payload) : undefined,
        payload,
        replayed: reply.getHeader('idempotent-replayed') === 'true',
      });
    } catch (err) {
      request.log.warn({ err, operationId }, 'metrics observer failed');
    }
    return payload;
  });
}

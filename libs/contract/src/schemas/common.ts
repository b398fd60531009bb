import { Type, type Static, type TSchema } from 'typebox';

/*
 * Conventions of every schema in this contract:
 * - a `title` names a schema; the OpenAPI document lists each titled schema once under
 *   `components.schemas` and refers to it by `$ref` (see libs/http's docs plugin);
 * - timestamps are ISO-8601 UTC strings, money and points integers, ids opaque strings;
 * - request bodies reject unknown properties (`additionalProperties: false`).
 */

/** An ISO-8601 UTC timestamp, e.g. `2026-12-24T19:00:00.000Z`. */
export const timestamp = (description?: string) =>
  Type.String({ format: 'date-time', ...(description ? { description } : {}) });

/** `schema` or `null`. */
export const nullable = <T extends TSchema>(schema: T, description?: string) =>
  Type.Union([schema, Type.Null()], description ? { description } : {});

/**
 * Exactly one of several body shapes (`oneOf`), typed as their union. Each shape is a closed
 * object, so a body matches at most one of them.
 */
export const oneOf = <T extends TSchema[]>(schemas: [...T], options: { title: string; description?: string }) =>
  Type.Unsafe<Static<T[number]>>({ ...options, oneOf: schemas });

/**
 * An id a client got from this API and passes back as it is. Any string is accepted: one that
 * names nothing is 404 whatever its shape (empty, over-long, ...). Its length is bounded by the
 * request (path or body limits), and no lookup is made with a string that cannot be an id.
 */
export const opaqueId = (description: string, examples?: string[]) =>
  Type.String({ description, ...(examples ? { examples } : {}) });

/** The body of every error response. */
export const errorBody = Type.Object(
  {
    statusCode: Type.Integer({ description: 'The HTTP status, repeated' }),
    code: Type.String({ description: 'Stable, machine-readable error code (see the error table)' }),
    error: Type.String({ description: 'The HTTP status text' }),
    message: Type.String({ description: 'A human-readable explanation' }),
  },
  { title: 'Error', additionalProperties: false },
);
export type ErrorBody = Static<typeof errorBody>;

/** `Idempotency-Key`, accepted by the booking writes that may be retried. */
export const idempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7E]+$',
      description: 'Makes a retry safe: the same key with the same body gets the first response again',
      examples: ['3f0c6f5e-8a0b-4c55-9d0e-1a2b3c4d5e6f'],
    }),
  ),
});

/** Marks an answer to an `Idempotency-Key` already used: the first request's answer, sent again. */
export const idempotentReplayedHeader = {
  'idempotent-replayed': Type.Literal('true', { description: 'Present when this is a stored answer' }),
};

/** An empty body: `{}` (or no body at all). */
export const emptyBody = Type.Object({}, { additionalProperties: false, title: 'Empty' });

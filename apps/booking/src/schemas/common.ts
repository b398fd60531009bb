import { Type } from 'typebox';

const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

export const id = (description: string) => Type.String({ pattern: UUID, description });
// Dates go out as ISO-8601 strings (fast-json-stringify formats a Date for `date-time`).
export const timestamp = Type.Unsafe<Date | string>(Type.String({ format: 'date-time' }));
export const bearer = [{ queueToken: [] }];

export const idempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7E]+$',
      description: 'Makes a retry safe: same key + same body = same response',
    }),
  ),
});

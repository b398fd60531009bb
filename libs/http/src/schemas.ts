import { Type } from 'typebox';

/** The contract's error body, for the `response` section of route schemas. */
const errorSchema = Type.Object(
  {
    statusCode: Type.Integer(),
    code: Type.String(),
    error: Type.String(),
    message: Type.String(),
  },
  { description: 'Error' },
);

/** `{ 400: errorSchema, 404: errorSchema, ... }` for the given status codes. */
export function errorResponses(...statusCodes: number[]) {
  return Object.fromEntries(statusCodes.map((code) => [code, errorSchema]));
}

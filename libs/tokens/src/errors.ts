import createError from '@fastify/error';

/** Errors of credentials: queue tokens and identity tokens. Codes of the contract, never reused. */
export const TokenErrors = {
  TOKEN_INVALID: createError('TOKEN_INVALID', 'Queue token is missing, malformed or not valid for this queue', 401),
  TOKEN_EXPIRED: createError('TOKEN_EXPIRED', 'Queue token is no longer live; join the queue again', 401),
  IDENTITY_INVALID: createError(
    'IDENTITY_INVALID',
    'Identity token is missing, malformed, expired or not from the trusted identity provider',
    401,
  ),
};
export type TokenErrorCode = keyof typeof TokenErrors;

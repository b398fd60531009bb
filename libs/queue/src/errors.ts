import createError from '@fastify/error';

/** Errors of the waiting room. Codes of the contract, never reused. */
export const QueueErrors = {
  QUEUE_NOT_FOUND: createError('QUEUE_NOT_FOUND', 'Queue %s is not configured', 404),
  TOKEN_NOT_FOUND: createError('TOKEN_NOT_FOUND', 'User %s holds no live token in queue %s', 404),
};
export type QueueErrorCode = keyof typeof QueueErrors;

import createError from '@fastify/error';

/** Errors of the waiting room and of queue tokens (used by the gateway and by booking's guard). */
export const QueueErrors = {
  QUEUE_NOT_FOUND: createError('QUEUE_NOT_FOUND', 'Queue %s is not configured', 404),
  TOKEN_INVALID: createError('TOKEN_INVALID', 'Queue token is missing, malformed or not valid for this queue', 401),
  TOKEN_EXPIRED: createError('TOKEN_EXPIRED', 'Queue token is no longer live; join the queue again', 401),
  TOKEN_NOT_ACTIVE: createError('TOKEN_NOT_ACTIVE', 'Queue token is still waiting in line', 403),
  TOKEN_WRONG_QUEUE: createError('TOKEN_WRONG_QUEUE', 'Queue token belongs to another queue', 403),
  ADMIN_KEY_INVALID: createError('ADMIN_KEY_INVALID', 'Missing or wrong X-Admin-Key', 401),
};

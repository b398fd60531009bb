import createError from '@fastify/error';

/** The booking service's error catalog: the contract's `code`s, one place, never reused. */
export const BookingErrors = {
  TOKEN_NOT_ACTIVE: createError('TOKEN_NOT_ACTIVE', 'Queue token is still waiting in line', 403),
  TOKEN_WRONG_QUEUE: createError('TOKEN_WRONG_QUEUE', 'Queue token belongs to another queue', 403),
  CONCERT_NOT_FOUND: createError('CONCERT_NOT_FOUND', 'Concert %s not found', 404),
  SCHEDULE_NOT_FOUND: createError('SCHEDULE_NOT_FOUND', 'Schedule %s not found for this concert', 404),
  SEAT_NOT_FOUND: createError('SEAT_NOT_FOUND', 'Seat %s does not exist on this date', 404),
  SEAT_UNAVAILABLE: createError('SEAT_UNAVAILABLE', 'Seat %s is held or sold', 409),
  HOLD_LIMIT_REACHED: createError(
    'HOLD_LIMIT_REACHED',
    'At most %s seats may be held at once (your live holds included)',
    409,
  ),
  TICKET_LIMIT_REACHED: createError(
    'TICKET_LIMIT_REACHED',
    'At most %s seats of one concert per fan, held and paid together',
    409,
  ),
  NOT_ENOUGH_SEATS: createError('NOT_ENOUGH_SEATS', 'No %s consecutive free seats%s on this date', 409),
  RESERVATION_NOT_FOUND: createError('RESERVATION_NOT_FOUND', 'Reservation %s not found', 404),
  RESERVATION_NOT_HELD: createError('RESERVATION_NOT_HELD', 'Reservation %s is not held any more', 409),
  RESERVATION_EXPIRED: createError('RESERVATION_EXPIRED', 'The hold of reservation %s is over', 409),
  RESERVATION_ALREADY_PAID: createError('RESERVATION_ALREADY_PAID', 'Reservation %s is already paid', 409),
  PAYMENT_NOT_FOUND: createError('PAYMENT_NOT_FOUND', 'Payment %s not found', 404),
  PAYMENT_ALREADY_REFUNDED: createError('PAYMENT_ALREADY_REFUNDED', 'Payment %s is already refunded', 409),
  REFUND_WINDOW_CLOSED: createError(
    'REFUND_WINDOW_CLOSED',
    'Refunds close %s hours before a date starts, and a date of this payment is that close',
    409,
  ),
  INSUFFICIENT_BALANCE: createError('INSUFFICIENT_BALANCE', 'Balance %s does not cover %s', 402),
  BALANCE_LIMIT_EXCEEDED: createError('BALANCE_LIMIT_EXCEEDED', 'A balance may not exceed %s points', 422),
  IDEMPOTENCY_KEY_REUSED: createError(
    'IDEMPOTENCY_KEY_REUSED',
    'This Idempotency-Key was used with a different request',
    422,
  ),
  IDEMPOTENCY_KEY_IN_FLIGHT: createError(
    'IDEMPOTENCY_KEY_IN_FLIGHT',
    'A request with this Idempotency-Key is still being processed; retry shortly',
    409,
  ),
};
export type BookingErrorCode = keyof typeof BookingErrors;

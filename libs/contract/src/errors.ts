/**
 * Every `code` an error answer of this API can carry, by the package whose catalog defines it
 * (with its status and message): the vocabulary clients switch on. The README's error table says
 * what each means; a test keeps this list, the catalogs and the table equal.
 */
export const ERROR_CODES = [
  // libs/http
  'VALIDATION_ERROR',
  'INVALID_JSON',
  'BAD_REQUEST',
  'ADMIN_KEY_INVALID',
  'ROUTE_NOT_FOUND',
  'REQUEST_TIMEOUT',
  'BODY_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'HEADERS_TOO_LARGE',
  'RATE_LIMITED',
  'INTERNAL_ERROR',
  'SERVICE_UNAVAILABLE',
  // libs/tokens
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'IDENTITY_INVALID',
  // libs/queue
  'QUEUE_NOT_FOUND',
  'TOKEN_NOT_FOUND',
  // libs/booking-domain
  'TOKEN_NOT_ACTIVE',
  'TOKEN_WRONG_QUEUE',
  'CONCERT_NOT_FOUND',
  'SCHEDULE_NOT_FOUND',
  'SEAT_NOT_FOUND',
  'SEAT_UNAVAILABLE',
  'HOLD_LIMIT_REACHED',
  'TICKET_LIMIT_REACHED',
  'NOT_ENOUGH_SEATS',
  'RESERVATION_NOT_FOUND',
  'RESERVATION_NOT_HELD',
  'RESERVATION_EXPIRED',
  'RESERVATION_ALREADY_PAID',
  'PAYMENT_NOT_FOUND',
  'PAYMENT_ALREADY_REFUNDED',
  'REFUND_WINDOW_CLOSED',
  'INSUFFICIENT_BALANCE',
  'BALANCE_LIMIT_EXCEEDED',
  'IDEMPOTENCY_KEY_REUSED',
  'IDEMPOTENCY_KEY_IN_FLIGHT',
] as const;

/** A stable error code of the contract. */
export type ErrorCode = (typeof ERROR_CODES)[number];

import type { ErrorCode } from '@concert/contract';

/**
 * Every error code of the HTTP contract as a sentence a fan or an operator understands. Pure
 * data and functions (no DOM), so a test can check that it covers every code of every catalog.
 */

/** What the screen knows about the attempt that failed, to make the sentence concrete. */
export type ErrorContext = {
  seatNos?: number[];
  userId?: string;
  queueId?: string;
  retryAfterSeconds?: number;
  maxHolds?: number;
  maxTickets?: number;
  maxCharge?: number;
};

type Sentence = (context: ErrorContext) => string;

const list = (numbers: number[]) =>
  numbers.length <= 1
    ? String(numbers[0] ?? '')
    : `${numbers.slice(0, -1).join(', ')} and ${numbers[numbers.length - 1]}`;
const seats = (c: ErrorContext) =>
  c.seatNos?.length === 1 ? `seat ${c.seatNos[0]}` : `seats ${list(c.seatNos ?? [])}`;
const later = (c: ErrorContext) =>
  c.retryAfterSeconds ? `in ${c.retryAfterSeconds} second${c.retryAfterSeconds === 1 ? '' : 's'}` : 'in a moment';

/** Codes the browser makes up itself: the network failed, or an answer carried no known code. */
export const CLIENT_ERROR_CODES = ['NETWORK_ERROR', 'UNKNOWN_ERROR'] as const;

/** The contract's codes (every catalog, v2 included), and the client's own. */
export const ERROR_MESSAGES: Record<string, Sentence> = {
  // libs/http
  VALIDATION_ERROR: () => 'That request was not in the form the service expects. Please check what you entered.',
  INVALID_JSON: () => 'The service could not read that request. Please reload the page and try again.',
  BAD_REQUEST: () => 'The service could not read that request. Please reload the page and try again.',
  ADMIN_KEY_INVALID: () => 'That admin key is not right. Check it and sign in again.',
  ROUTE_NOT_FOUND: () => 'This service does not offer that yet.',
  BODY_TOO_LARGE: () => 'That request is too large.',
  UNSUPPORTED_MEDIA_TYPE: () => 'The service could not read that request. Please reload the page and try again.',
  HEADERS_TOO_LARGE: () => 'Your browser sent too much data with that request. Please sign out and in again.',
  REQUEST_TIMEOUT: () => 'Your connection was too slow to finish that request. Please try again.',
  RATE_LIMITED: (c) => `That was a lot of requests in a short time. Please try again ${later(c)}.`,
  INTERNAL_ERROR: () => 'Something went wrong on our side. Please try again.',
  SERVICE_UNAVAILABLE: (c) => `The service is busy or briefly down. We will try again ${later(c)}.`,
  // libs/tokens
  TOKEN_INVALID: () => 'We could not recognise your place in line. Please join again.',
  TOKEN_EXPIRED: () => 'Your place in line has ended (you left, paid, ran out of time, or were away too long).',
  IDENTITY_INVALID: () => 'Your sign-in has expired or is not valid. Please sign in again.',
  // libs/queue
  QUEUE_NOT_FOUND: (c) => `There is no line for ${c.queueId ? `“${c.queueId}”` : 'this concert'} right now.`,
  TOKEN_NOT_FOUND: (c) => `${c.userId ? `“${c.userId}”` : 'That user'} holds no place in this line.`,
  // libs/booking-domain
  TOKEN_NOT_ACTIVE: () => 'It is not your turn yet. Please wait in line.',
  TOKEN_WRONG_QUEUE: () => 'Your place in line is for another concert.',
  CONCERT_NOT_FOUND: () => 'That concert is no longer on sale.',
  SCHEDULE_NOT_FOUND: () => 'That date is no longer on sale.',
  SEAT_NOT_FOUND: (c) => `There is no ${seats(c)} on this date.`,
  SEAT_UNAVAILABLE: (c) =>
    c.seatNos?.length ? `Someone just took ${seats(c)}. Please pick another.` : 'Someone just took that seat.',
  HOLD_LIMIT_REACHED: (c) =>
    `You can hold at most ${c.maxHolds ?? 'a few'} seats at once. Pay for or release some first.`,
  TICKET_LIMIT_REACHED: (c) =>
    `You can have at most ${c.maxTickets ?? 'a limited number of'} tickets for this concert, held and paid together.`,
  NOT_ENOUGH_SEATS: () => 'There are not that many seats together at that price. Try fewer seats or a higher price.',
  RESERVATION_NOT_FOUND: () => 'We could not find that reservation.',
  RESERVATION_NOT_HELD: () => 'That hold has already ended.',
  RESERVATION_EXPIRED: () => 'Your hold ran out before the payment. The seats are free again: please hold them anew.',
  RESERVATION_ALREADY_PAID: () => 'Those seats are already paid for. They are in My tickets.',
  INSUFFICIENT_BALANCE: () => 'You do not have enough points for this. Please add points first.',
  BALANCE_LIMIT_EXCEEDED: () => 'That would take your balance over the limit. Please add fewer points.',
  IDEMPOTENCY_KEY_REUSED: () => 'That request clashed with an earlier one. Please try again.',
  IDEMPOTENCY_KEY_IN_FLIGHT: () => 'Your previous attempt is still being processed. Please wait a moment.',
  PAYMENT_NOT_FOUND: () => 'We could not find that payment.',
  PAYMENT_ALREADY_REFUNDED: () => 'That payment has already been refunded.',
  REFUND_WINDOW_CLOSED: () => 'Refunds for this date have closed: it starts too soon.',
  // the browser's own
  NETWORK_ERROR: () => 'We could not reach the service. Check your connection; we will keep trying.',
  UNKNOWN_ERROR: () => 'Something unexpected went wrong. Please try again.',
} satisfies Record<ErrorCode | (typeof CLIENT_ERROR_CODES)[number], Sentence>;

/** The code of any failure: the contract's `code`, or one of the client's own. */
export function errorCodeOf(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string') {
    if (error.code in ERROR_MESSAGES) return error.code;
  }
  // A proxy's error page in front of the service (no contract body): the service is not there.
  if (error && typeof error === 'object' && 'status' in error && Number(error.status) >= 500) {
    return 'SERVICE_UNAVAILABLE';
  }
  // fetch rejects with a TypeError when the network (or CORS) fails.
  if (error instanceof TypeError) return 'NETWORK_ERROR';
  return 'UNKNOWN_ERROR';
}

/** The sentence for a failure (an ApiError from the typed clients, a network error, anything). */
export function describeError(error: unknown, context: ErrorContext = {}): string {
  const retryAfter =
    error && typeof error === 'object' && 'retryAfterSeconds' in error
      ? (error.retryAfterSeconds as number | undefined)
      : undefined;
  return ERROR_MESSAGES[errorCodeOf(error)]!({ retryAfterSeconds: retryAfter, ...context });
}

export { BookingErrors, type BookingErrorCode } from './errors.js';
export { listConcerts } from './concerts/list-concerts.js';
export { createConcertDirectory, type ConcertDirectory } from './concerts/concert-directory.js';
export { listSchedules } from './concerts/list-schedules.js';
export { listSeats } from './concerts/list-seats.js';
export { holdSeat } from './reservations/hold-seat.js';
export { getReservation } from './reservations/get-reservation.js';
export { cancelReservation } from './reservations/cancel-reservation.js';
export { releaseLapsedHolds } from './reservations/release-lapsed-holds.js';
export { toReservationView, type ReservationView, type ReservationStatus } from './reservations/reservation-view.js';
export { getBalance } from './points/get-balance.js';
export { chargePoints, type BalanceView } from './points/charge-points.js';
export { listTransactions, LEDGER_PAGE_SIZE } from './points/list-transactions.js';
export { payReservations, type PaymentView } from './payments/pay-reservations.js';
export {
  IDEMPOTENT_WRITES,
  withIdempotency,
  findStoredResponse,
  forgetIdempotencyRecords,
  requestFingerprint,
  type IdempotencyScope,
  type IdempotencyKey,
  type IdempotentRequest,
  type StoredResponse,
} from './idempotency/idempotency.js';

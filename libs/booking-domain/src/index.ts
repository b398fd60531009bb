export { BookingErrors, type BookingErrorCode } from './errors.js';
export { listConcerts } from './concerts/list-concerts.js';
export { createConcertDirectory, type ConcertDirectory } from './concerts/concert-directory.js';
export { listSchedules } from './concerts/list-schedules.js';
export { listSeats } from './concerts/list-seats.js';
export { holdSeats, type HoldOutcome, type HoldResult } from './reservations/hold-seats.js';
export { holdSeat } from './reservations/hold-seat.js';
export { getReservation } from './reservations/get-reservation.js';
export { listReservations } from './reservations/list-reservations.js';
export { cancelReservation } from './reservations/cancel-reservation.js';
export { releaseLapsedHolds } from './reservations/release-lapsed-holds.js';
export { toReservationView, type ReservationView, type ReservationStatus } from './reservations/reservation-view.js';
export { getBalance } from './points/get-balance.js';
export { chargePoints, type BalanceView } from './points/charge-points.js';
export { listTransactions, LEDGER_PAGE_SIZE } from './points/list-transactions.js';
export { payReservations, type PaymentView } from './payments/pay-reservations.js';
export { refundPayment } from './payments/refund-payment.js';
export { listPayments, getPayment, RECORDS_PAGE_SIZE } from './payments/list-payments.js';
export {
  applyEffects,
  applyPendingEffects,
  findPendingTokenEndings,
  type Effect,
  type EffectTargets,
  type SeatCounts,
} from './effects/effects.js';
export { reconcileSeatsLeft, listInventoryQueues } from './inventory/reconcile-seats-left.js';
export { listScheduleSales } from './inventory/list-schedule-sales.js';
export {
  IDEMPOTENT_WRITES,
  withIdempotency,
  findStoredResponse,
  forgetIdempotencyRecords,
  type IdempotencyScope,
  type IdempotencyKey,
  type IdempotentRequest,
  type StoredResponse,
} from './idempotency/idempotency.js';

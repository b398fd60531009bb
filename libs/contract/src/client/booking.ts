import type { Concert, Schedule, Seat } from '../schemas/concerts.js';
import type {
  BestAvailableHold,
  HeldSeats,
  Reservation,
  ReservationQuery,
  ReservationRecord,
  SeatsHold,
  SingleSeatHold,
} from '../schemas/reservations.js';
import type { Balance, LedgerEntry } from '../schemas/points.js';
import type { Payment, PaymentReceipt, PaymentRequest, RefundReceipt } from '../schemas/payments.js';
import type { ScheduleSales } from '../schemas/sales.js';
import { createRequester, path, type ApiResponse, type ClientOptions } from './request.js';

/** Options of the writes that honour `Idempotency-Key`. */
export type WriteOptions = { idempotencyKey?: string };
const keyed = (opts?: WriteOptions) => ({ 'idempotency-key': opts?.idempotencyKey });

/**
 * A typed client of booking. `token` is a queue token ACTIVE in the concert's queue for the
 * concert routes and payments; the account routes (reservations, points, payments' records,
 * refunds) take that or an identity token. Every method throws ApiError outside 2xx.
 */
export function createBookingClient(options: ClientOptions | string) {
  const request = createRequester(options);

  function holdSeats(
    token: string,
    concertId: string,
    scheduleId: string,
    body: SingleSeatHold,
    opts?: WriteOptions,
  ): Promise<ApiResponse<Reservation>>;
  function holdSeats(
    token: string,
    concertId: string,
    scheduleId: string,
    body: SeatsHold | BestAvailableHold,
    opts?: WriteOptions,
  ): Promise<ApiResponse<HeldSeats>>;
  function holdSeats(
    token: string,
    concertId: string,
    scheduleId: string,
    body: SingleSeatHold | SeatsHold | BestAvailableHold,
    opts?: WriteOptions,
  ) {
    return request<Reservation | HeldSeats>('POST', path`/concerts/${concertId}/schedules/${scheduleId}/reservations`, {
      token,
      body,
      headers: keyed(opts),
    });
  }

  return {
    listConcerts: () => request<Concert[]>('GET', '/concerts'),
    listSchedules: (token: string, concertId: string) =>
      request<Schedule[]>('GET', path`/concerts/${concertId}/schedules`, { token }),
    listSeats: (token: string, concertId: string, scheduleId: string) =>
      request<Seat[]>('GET', path`/concerts/${concertId}/schedules/${scheduleId}/seats`, { token }),
    holdSeats,

    listReservations: (token: string, query: ReservationQuery = {}) =>
      request<ReservationRecord[]>('GET', '/reservations', { token, query }),
    getReservation: (token: string, reservationId: string) =>
      request<ReservationRecord>('GET', path`/reservations/${reservationId}`, { token }),
    cancelReservation: (token: string, reservationId: string) =>
      request<undefined>('DELETE', path`/reservations/${reservationId}`, { token }),

    getBalance: (token: string) => request<Balance>('GET', '/points', { token }),
    chargePoints: (token: string, amount: number, opts?: WriteOptions) =>
      request<Balance>('POST', '/points/charge', { token, body: { amount }, headers: keyed(opts) }),
    listTransactions: (token: string) => request<LedgerEntry[]>('GET', '/points/transactions', { token }),

    payReservations: (token: string, body: PaymentRequest, opts?: WriteOptions) =>
      request<PaymentReceipt>('POST', '/payments', { token, body, headers: keyed(opts) }),
    listPayments: (token: string) => request<Payment[]>('GET', '/payments', { token }),
    getPayment: (token: string, paymentId: string) => request<Payment>('GET', path`/payments/${paymentId}`, { token }),
    refundPayment: (token: string, paymentId: string, opts?: WriteOptions) =>
      request<RefundReceipt>('POST', path`/payments/${paymentId}/refund`, { token, headers: keyed(opts) }),

    /** Operators' calls, with the `X-Admin-Key`. */
    admin(adminKey: string) {
      const headers = { 'x-admin-key': adminKey };
      return {
        /** Seats sold, held and left on each future date of a concert. */
        listScheduleSales: (concertId: string) =>
          request<ScheduleSales[]>('GET', path`/admin/concerts/${concertId}/schedules`, { headers }),
      };
    },
  };
}

export type BookingClient = ReturnType<typeof createBookingClient>;

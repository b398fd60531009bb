import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter } from 'prom-client';
import { jsonBodyOf, observeOperations, outcomeOf, registerPoolMetrics, type OperationAnswer } from '@concert/http';

/** Hold answers that mean "someone else got there first" and "this fan has enough already". */
const LOST_CODES = new Set(['SEAT_UNAVAILABLE', 'NOT_ENOUGH_SEATS']);
const LIMIT_CODES = new Set(['HOLD_LIMIT_REACHED', 'TICKET_LIMIT_REACHED']);

/**
 * The operations whose answers are counted, by OpenAPI `operationId` (see the README's metrics
 * table). A test checks each exists in booking's OpenAPI document.
 */
export const OBSERVED_OPERATIONS = ['holdSeats', 'payReservations', 'refundPayment', 'chargePoints'] as const;

/** Seats in a hold answer: one reservation, or `{ reservations: [...] }` for several. */
const heldSeatsOf = (body: { reservations?: unknown[] } | undefined) =>
  body ? (Array.isArray(body.reservations) ? body.reservations.length : 1) : 0;

/**
 * Booking's business figures on `/metrics`, observed from the answers (no route knows about
 * them): holds by outcome, payments and refunds with their points, charges, idempotent
 * replays, and the PostgreSQL pool.
 */
async function businessMetrics(app: FastifyInstance) {
  const registers = [app.metrics];
  const holds = new Counter({
    name: 'booking_holds_total',
    help: 'Hold requests by outcome: won, lost (seat taken / not enough seats), limit (hold or ticket limit), or the error code',
    labelNames: ['outcome'] as const,
    registers,
  });
  const heldSeats = new Counter({ name: 'booking_held_seats_total', help: 'Seats in won holds', registers });
  const payments = new Counter({
    name: 'booking_payments_total',
    help: 'Payment requests by outcome: paid, or the error code (replays not counted)',
    labelNames: ['outcome'] as const,
    registers,
  });
  const paidPoints = new Counter({ name: 'booking_paid_points_total', help: 'Points paid for seats', registers });
  const refunds = new Counter({
    name: 'booking_refunds_total',
    help: 'Refund requests by outcome: refunded, or the error code (replays not counted)',
    labelNames: ['outcome'] as const,
    registers,
  });
  const refundedPoints = new Counter({ name: 'booking_refunded_points_total', help: 'Points refunded', registers });
  const charges = new Counter({
    name: 'booking_charges_total',
    help: 'Point charges by outcome: charged, or the error code (replays not counted)',
    labelNames: ['outcome'] as const,
    registers,
  });
  const chargedPoints = new Counter({ name: 'booking_charged_points_total', help: 'Points charged', registers });
  const replays = new Counter({
    name: 'booking_idempotent_replays_total',
    help: 'Answers replayed for a repeated Idempotency-Key (no new effect), by operation',
    labelNames: ['operation'] as const,
    registers,
  });

  /** Counts a replay and returns true, so the caller counts nothing else. */
  const replayed = (operation: string, answer: OperationAnswer) => {
    if (!answer.replayed) return false;
    replays.inc({ operation });
    return true;
  };

  observeOperations(app, {
    holdSeats(answer) {
      if (replayed('holdSeats', answer)) return;
      const code = answer.code ?? '';
      const outcome = LOST_CODES.has(code) ? 'lost' : LIMIT_CODES.has(code) ? 'limit' : outcomeOf(answer, 'won');
      holds.inc({ outcome });
      if (answer.statusCode < 400) heldSeats.inc(heldSeatsOf(jsonBodyOf(answer.payload)));
    },
    payReservations(answer) {
      if (replayed('payReservations', answer)) return;
      payments.inc({ outcome: outcomeOf(answer, 'paid') });
      if (answer.statusCode < 400) paidPoints.inc(jsonBodyOf<{ amount?: number }>(answer.payload)?.amount ?? 0);
    },
    refundPayment(answer) {
      if (replayed('refundPayment', answer)) return;
      refunds.inc({ outcome: outcomeOf(answer, 'refunded') });
      if (answer.statusCode < 400) refundedPoints.inc(jsonBodyOf<{ amount?: number }>(answer.payload)?.amount ?? 0);
    },
    chargePoints(answer) {
      if (replayed('chargePoints', answer)) return;
      charges.inc({ outcome: outcomeOf(answer, 'charged') });
      if (answer.statusCode < 400) chargedPoints.inc((answer.request.body as { amount?: number }).amount ?? 0);
    },
  } satisfies Record<(typeof OBSERVED_OPERATIONS)[number], (answer: OperationAnswer) => void>);

  registerPoolMetrics(app.metrics, app.sql);
}

export const businessMetricsPlugin = fp(businessMetrics, {
  name: 'business-metrics',
  dependencies: ['metrics', 'database'],
});

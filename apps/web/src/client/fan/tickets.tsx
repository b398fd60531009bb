import { useEffect, useMemo, useState } from 'preact/hooks';
import type { LedgerEntry, Payment, Reservation } from '@concert/contract';
import type { Site } from '../shared/site.js';
import { describeError } from '../shared/error-messages.js';
import { formatDateTime, formatPoints, formatShortDateTime } from '../shared/format.js';
import { useFocusOnMount } from '../shared/hooks.js';
import { attempt, createIdempotency, Notice } from '../shared/ui.js';
import { rememberedDates } from './booking.js';

type Loaded<T> = { data: T } | { error: string } | null;

function load<T>(run: () => Promise<{ data: T }>, set: (value: Loaded<T>) => void) {
  run().then(
    ({ data }) => set({ data }),
    (failure) => set({ error: describeError(failure) }),
  );
}

/** My tickets: payments with their seats (refund where allowed), other reservations, points. */
export function Tickets(props: { site: Site; identityToken: string }) {
  const { site, identityToken } = props;
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const [payments, setPayments] = useState<Loaded<Payment[]>>(null);
  const [reservations, setReservations] = useState<Loaded<Reservation[]>>(null);
  const [ledger, setLedger] = useState<Loaded<LedgerEntry[]>>(null);
  const [balance, setBalance] = useState<number | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ tone: 'error' | 'success'; text: string } | null>(null);
  const [round, setRound] = useState(0);
  const refunds = useMemo(() => createIdempotency(), []);
  const dates = rememberedDates();
  const cutoffMs = site.config.limits.refundCutoffHours * 3_600_000;

  useEffect(() => {
    load(() => site.booking.listPayments(identityToken), setPayments);
    load(() => site.booking.listReservations(identityToken), setReservations);
    load(() => site.booking.listTransactions(identityToken), setLedger);
    site.booking.getBalance(identityToken).then(
      ({ data }) => setBalance(data.balance),
      () => undefined,
    );
  }, [site, identityToken, round]);

  const byPayment = (paymentId: string) =>
    reservations && 'data' in reservations ? reservations.data.filter((r) => r.paymentId === paymentId) : [];
  // Refunds close REFUND_CUTOFF_HOURS before a date; where the date is unknown here, the server decides.
  const refundable = (payment: Payment) =>
    payment.status === 'PAID' &&
    byPayment(payment.paymentId).every(
      (r) => !dates[r.scheduleId] || Date.parse(dates[r.scheduleId]!) - Date.now() > cutoffMs,
    );

  async function refund(payment: Payment) {
    setBusy(true);
    setMessage(null);
    try {
      const { data } = await attempt(refunds, { paymentId: payment.paymentId }, (key) =>
        site.booking.refundPayment(identityToken, payment.paymentId, { idempotencyKey: key }),
      );
      setMessage({
        tone: 'success',
        text: `Refunded ${formatPoints(data.amount)}. Your balance is ${formatPoints(data.balance)}.`,
      });
      setRound((n) => n + 1);
    } catch (failure) {
      setMessage({ tone: 'error', text: describeError(failure) });
    } finally {
      setBusy(false);
      setConfirming(null);
    }
  }

  const otherReservations =
    reservations && 'data' in reservations ? reservations.data.filter((r) => !r.paymentId && r.status === 'HELD') : [];

  return (
    <section aria-labelledby="tickets-title">
      <h1 id="tickets-title" tabIndex={-1} ref={heading}>
        My tickets
      </h1>
      <div class="notice-slot">{message && <Notice tone={message.tone}>{message.text}</Notice>}</div>

      <div class="panel">
        <h2>Payments</h2>
        {payments === null && <p aria-busy="true">Loading…</p>}
        {payments && 'error' in payments && <Notice tone="error">{payments.error}</Notice>}
        {payments && 'data' in payments && payments.data.length === 0 && <p>No tickets yet.</p>}
        {payments && 'data' in payments && (
          <ul class="payments">
            {payments.data.map((payment) => (
              <li class="payment" key={payment.paymentId}>
                <p>
                  <strong>{formatPoints(payment.amount)}</strong> · paid {formatDateTime(payment.paidAt)} ·{' '}
                  <span class={`badge badge--${payment.status.toLowerCase()}`}>
                    {payment.status === 'PAID' ? 'Paid' : 'Refunded'}
                  </span>
                </p>
                <ul class="payment__seats">
                  {byPayment(payment.paymentId).map((r) => (
                    <li key={r.reservationId}>
                      Seat {r.seatNo}
                      {dates[r.scheduleId] ? ` · ${formatDateTime(dates[r.scheduleId]!)}` : ''}
                    </li>
                  ))}
                </ul>
                {refundable(payment) &&
                  (confirming === payment.paymentId ? (
                    <div class="actions">
                      <button
                        type="button"
                        class="button button--danger"
                        onClick={() => refund(payment)}
                        disabled={busy}
                      >
                        Confirm refund of {formatPoints(payment.amount)}
                      </button>
                      <button type="button" class="button" onClick={() => setConfirming(null)} disabled={busy}>
                        Keep my tickets
                      </button>
                    </div>
                  ) : (
                    <button type="button" class="button" onClick={() => setConfirming(payment.paymentId)}>
                      Refund
                    </button>
                  ))}
              </li>
            ))}
          </ul>
        )}
        {otherReservations.length > 0 && (
          <p class="small">
            On hold, not paid yet: seat{otherReservations.length > 1 ? 's' : ''}{' '}
            {otherReservations.map((r) => r.seatNo).join(', ')}.
          </p>
        )}
        {reservations && 'error' in reservations && !(payments && 'error' in payments) && (
          <Notice tone="error">{reservations.error}</Notice>
        )}
      </div>

      <div class="panel">
        <h2>Points</h2>
        <p>
          Balance: <strong>{balance === null ? '—' : formatPoints(balance)}</strong>
        </p>
        {ledger && 'error' in ledger && <Notice tone="error">{ledger.error}</Notice>}
        {ledger && 'data' in ledger && ledger.data.length > 0 && (
          <table class="table">
            <caption class="visually-hidden">Points history</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">What</th>
                <th scope="col" class="num">
                  Points
                </th>
                <th scope="col" class="num">
                  Balance
                </th>
              </tr>
            </thead>
            <tbody>
              {ledger.data.slice(0, 20).map((entry) => (
                <tr key={entry.id}>
                  <td>{formatShortDateTime(entry.createdAt)}</td>
                  <td>{{ CHARGE: 'Added', USE: 'Paid', REFUND: 'Refunded' }[entry.type]}</td>
                  <td class="num">{`${entry.type === 'USE' ? '−' : '+'}${formatPoints(entry.amount)}`}</td>
                  <td class="num">{formatPoints(entry.balanceAfter)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}

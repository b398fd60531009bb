import { useEffect, useMemo, useState } from 'preact/hooks';
import type { LedgerEntry, Payment, ReservationRecord } from '@concert/contract';
import type { Site } from '../shared/site.js';
import { describeError } from '../shared/error-messages.js';
import { formatDateTime, formatPoints, formatShortDateTime } from '../shared/format.js';
import { useFocusOnMount, useNow } from '../shared/hooks.js';
import { attempt, createIdempotency, Notice } from '../shared/ui.js';

type Loaded<T> = { data: T } | { error: string } | null;

/** A fan's tickets: the payments, the seat of every reservation they name, and the live holds. */
type Records = { payments: Payment[]; seats: Map<string, ReservationRecord>; held: ReservationRecord[] };

function load<T>(run: () => Promise<T>, set: (value: Loaded<T>) => void) {
  run().then(
    (data) => set({ data }),
    (failure) => set({ error: describeError(failure) }),
  );
}

/**
 * The records My tickets shows, from the API alone (any tab, any device). Each list is the latest
 * page (100) of one status: CONFIRMED and REFUNDED seats are the payments' seats, so the expired
 * and cancelled holds that pile up never crowd them out; a payment's seat still missing (a fan with
 * more than a page of either) is asked for by id.
 */
async function loadRecords(site: Site, token: string): Promise<Records> {
  const [payments, confirmed, refunded, held] = await Promise.all([
    site.booking.listPayments(token),
    site.booking.listReservations(token, { status: 'CONFIRMED' }),
    site.booking.listReservations(token, { status: 'REFUNDED' }),
    site.booking.listReservations(token, { status: 'HELD' }),
  ]);
  const seats = new Map([...confirmed.data, ...refunded.data].map((r) => [r.reservationId, r]));
  const missing = payments.data.flatMap((payment) => payment.reservationIds).filter((id) => !seats.has(id));
  // One that cannot be read now leaves its payment without a refund button, not the page empty.
  for (const outcome of await Promise.allSettled(missing.map((id) => site.booking.getReservation(token, id)))) {
    if (outcome.status === 'fulfilled') seats.set(outcome.value.data.reservationId, outcome.value.data);
  }
  return { payments: payments.data, seats, held: held.data };
}

/** My tickets: payments with their seats and dates (refund while allowed), holds, points. */
export function Tickets(props: { site: Site; identityToken: string }) {
  const { site, identityToken } = props;
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const now = useNow(60_000);
  const [records, setRecords] = useState<Loaded<Records>>(null);
  const [ledger, setLedger] = useState<Loaded<LedgerEntry[]>>(null);
  const [balance, setBalance] = useState<number | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ tone: 'error' | 'success'; text: string } | null>(null);
  const [round, setRound] = useState(0);
  const refunds = useMemo(() => createIdempotency(), []);
  const { refundCutoffHours } = site.config.limits;

  useEffect(() => {
    load(() => loadRecords(site, identityToken), setRecords);
    load(async () => (await site.booking.listTransactions(identityToken)).data, setLedger);
    site.booking.getBalance(identityToken).then(
      ({ data }) => setBalance(data.balance),
      () => undefined,
    );
  }, [site, identityToken, round]);

  const seatsOf = (payment: Payment) =>
    records && 'data' in records
      ? payment.reservationIds.flatMap((id) => records.data.seats.get(id) ?? []).sort((a, b) => a.seatNo - b.seatNo)
      : [];
  // Refunds close REFUND_CUTOFF_HOURS before a date starts (the server checks it too); with a
  // seat unknown here, no refund is offered.
  const refundWindow = (payment: Payment): 'open' | 'closed' | 'unknown' => {
    const seats = seatsOf(payment);
    if (seats.length !== payment.reservationIds.length) return 'unknown';
    return seats.every((r) => Date.parse(r.startsAt) - now > refundCutoffHours * 3_600_000) ? 'open' : 'closed';
  };

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

  const held = records && 'data' in records ? records.data.held : [];

  return (
    <section aria-labelledby="tickets-title">
      <h1 id="tickets-title" tabIndex={-1} ref={heading}>
        My tickets
      </h1>
      <div class="notice-slot">{message && <Notice tone={message.tone}>{message.text}</Notice>}</div>

      <div class="panel">
        <h2>Payments</h2>
        {records === null && <p aria-busy="true">Loading…</p>}
        {records && 'error' in records && <Notice tone="error">{records.error}</Notice>}
        {records && 'data' in records && records.data.payments.length === 0 && <p>No tickets yet.</p>}
        {records && 'data' in records && (
          <ul class="payments">
            {records.data.payments.map((payment) => (
              <li class="payment" key={payment.paymentId} data-payment={payment.paymentId}>
                <p>
                  <strong>{formatPoints(payment.amount)}</strong> · paid {formatDateTime(payment.paidAt)} ·{' '}
                  <span class={`badge badge--${payment.status.toLowerCase()}`}>
                    {payment.status === 'PAID' ? 'Paid' : 'Refunded'}
                  </span>
                </p>
                <ul class="payment__seats">
                  {seatsOf(payment).map((r) => (
                    <li key={r.reservationId}>
                      Seat {r.seatNo} · {formatDateTime(r.startsAt)}
                    </li>
                  ))}
                </ul>
                {payment.status === 'PAID' && refundWindow(payment) === 'closed' && (
                  <p class="small">Refunds have closed: they end {refundCutoffHours} hours before the date starts.</p>
                )}
                {payment.status === 'PAID' &&
                  refundWindow(payment) === 'open' &&
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
        {held.length > 0 && (
          <p class="small">
            On hold, not paid yet: seat{held.length > 1 ? 's' : ''} {held.map((r) => r.seatNo).join(', ')}.
          </p>
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

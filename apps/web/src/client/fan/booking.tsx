import { useEffect, useMemo, useState } from 'preact/hooks';
import {
  ApiError,
  type BestAvailableHold,
  type HeldSeats,
  type PaymentReceipt,
  type QueueFigures,
  type Reservation,
  type Schedule,
  type Seat,
  type SeatsHold,
  type SingleSeatHold,
} from '@concert/contract';
import type { Site } from '../shared/site.js';
import { describeError, type ErrorContext } from '../shared/error-messages.js';
import { formatCountdown, formatDateTime, formatPoints, formatTime } from '../shared/format.js';
import { useFocusOnMount, useNow, useRepeating } from '../shared/hooks.js';
import { readSession, writeSession } from '../shared/storage.js';
import { attempt, createIdempotency, Notice } from '../shared/ui.js';
import { SeatMap, tiersOf } from './seat-map.js';
import { VerifyDraw } from './verify-draw.js';

const SEATS_REFRESH_MS = 4000;
const DATES_REFRESH_MS = 15_000;
const HOLDS_KEY = 'concert.fan.holds';

/** What a paid turn leaves for the receipt: the payment, its seats, and when each date starts. */
export type Paid = { receipt: PaymentReceipt; reservations: Reservation[]; dates: Record<string, string> };

type Props = {
  site: Site;
  token: string;
  concertId: string;
  concertTitle: string;
  activeUntil: string;
  userId: string;
  /** The queue's public figures: after a lobby's opening, the draw to verify. */
  figures: QueueFigures | null;
  /** Called before paying: the token ends when the payment goes through. */
  onPaying: () => void;
  onPaid: (paid: Paid) => void;
  onPayFailed: () => void;
  /** Gives the turn up (the place goes to the next fan). */
  onLeave: () => Promise<void>;
};

const heldSeatsOf = (data: Reservation | HeldSeats): Reservation[] =>
  'reservations' in data ? data.reservations : [data];
const seatList = (reservations: Reservation[]) =>
  reservations
    .map((r) => r.seatNo)
    .sort((a, b) => a - b)
    .join(', ');

/** An admitted fan's turn: dates, the seat map, holds with their countdown, points, payment. */
export function Booking(props: Props) {
  const { site, token, concertId } = props;
  const { limits } = site.config;
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const now = useNow(1000);
  const [schedules, setSchedules] = useState<Schedule[] | null>(null);
  const [scheduleId, setScheduleId] = useState<string | null>(null);
  const [seats, setSeats] = useState<Seat[] | null>(null);
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const [held, setHeld] = useState<Reservation[]>(() => {
    const saved = readSession<{ token: string; reservations: Reservation[] }>(HOLDS_KEY);
    return saved?.token === token ? saved.reservations : [];
  });
  const [balance, setBalance] = useState<number | null>(null);
  const [chargeAmount, setChargeAmount] = useState('');
  const [quantity, setQuantity] = useState(2);
  const [maxPrice, setMaxPrice] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const idempotency = useMemo(
    () => ({ hold: createIdempotency(), charge: createIdempotency(), pay: createIdempotency() }),
    [],
  );

  useEffect(() => writeSession(HOLDS_KEY, { token, reservations: held }), [token, held]);

  const context: ErrorContext = { maxHolds: limits.maxHoldsPerUser, maxTickets: limits.maxTicketsPerUser };
  const fail = (failure: unknown, extra: ErrorContext = {}) => {
    setInfo(null);
    setError(describeError(failure, { ...context, ...extra }));
  };

  async function loadSchedules() {
    try {
      const { data } = await site.booking.listSchedules(token, concertId);
      setSchedules(data);
      setScheduleId((current) => current ?? data.find((s) => s.availableSeats > 0)?.id ?? data[0]?.id ?? null);
    } catch (failure) {
      // A 401 means the turn is over: the line's watcher says so.
      if (!(failure instanceof ApiError && failure.status === 401)) fail(failure);
    }
  }
  // Dates, now and every few seconds (seats left change as others buy).
  useRepeating(loadSchedules, DATES_REFRESH_MS, token);

  async function loadSeats(id: string): Promise<Seat[]> {
    const { data } = await site.booking.listSeats(token, concertId, id);
    setSeats(data);
    // A seat someone else just took cannot stay picked.
    setSelected((current) => {
      const gone = [...current].filter((seatNo) => data.find((s) => s.seatNo === seatNo)?.status !== 'AVAILABLE');
      if (!gone.length) return current;
      setInfo(`Someone just took seat${gone.length > 1 ? 's' : ''} ${gone.join(', ')}.`);
      return new Set([...current].filter((seatNo) => !gone.includes(seatNo)));
    });
    return data;
  }

  // The map of the chosen date, refreshed every few seconds.
  useRepeating(
    async () => {
      if (!scheduleId) return;
      try {
        await loadSeats(scheduleId);
      } catch (failure) {
        if (!(failure instanceof ApiError && failure.status === 401)) fail(failure);
      }
    },
    SEATS_REFRESH_MS,
    scheduleId,
  );

  const refreshBalance = async () => {
    try {
      setBalance((await site.booking.getBalance(token)).data.balance);
    } catch (failure) {
      fail(failure);
    }
  };
  useEffect(() => {
    void refreshBalance();
  }, [token]);

  // Holds that ran out are gone: say so once.
  const expiresAt = held.length ? Math.min(...held.map((r) => Date.parse(r.expiresAt))) : null;
  useEffect(() => {
    if (expiresAt === null || expiresAt > now) return;
    const lapsed = held.filter((r) => Date.parse(r.expiresAt) <= now);
    setHeld((current) => current.filter((r) => Date.parse(r.expiresAt) > now));
    setInfo(`Your hold on seat${lapsed.length > 1 ? 's' : ''} ${seatList(lapsed)} ended; they are free again.`);
    if (scheduleId) void loadSeats(scheduleId).catch(() => undefined);
  }, [expiresAt !== null && expiresAt <= now]);

  const mine = new Set(held.filter((r) => r.scheduleId === scheduleId).map((r) => r.seatNo));
  const total = held.reduce((sum, r) => sum + r.price, 0);
  const shortfall = balance === null ? 0 : Math.max(0, total - balance);
  const turnLeft = (Date.parse(props.activeUntil) - now) / 1000;

  async function hold(body: SingleSeatHold | SeatsHold | BestAvailableHold, seatNos?: number[]) {
    if (!scheduleId) return;
    setBusy('hold');
    setError(null);
    setInfo(null);
    let seatsNow: Seat[] | null = null;
    try {
      const { data } = await attempt(idempotency.hold, { scheduleId, body }, (key) =>
        site.booking.holdSeats(token, concertId, scheduleId, body as SeatsHold, { idempotencyKey: key }),
      );
      const fresh = heldSeatsOf(data);
      setHeld((current) => [
        ...current.filter((r) => !fresh.some((f) => f.reservationId === r.reservationId)),
        ...fresh,
      ]);
      setSelected(new Set());
      setInfo(
        `Seat${fresh.length > 1 ? 's' : ''} ${seatList(fresh)} held for you until ${formatTime(fresh[0]!.expiresAt)}.`,
      );
    } catch (failure) {
      if (failure instanceof ApiError && failure.code === 'SEAT_UNAVAILABLE' && seatNos) {
        // The answer names one taken seat; the map now says which of those asked for are gone.
        seatsNow = await loadSeats(scheduleId).catch(() => null);
        const taken = seatNos.filter((n) => seatsNow?.find((s) => s.seatNo === n)?.status !== 'AVAILABLE');
        fail(failure, { seatNos: seatsNow ? taken : [] });
      } else {
        fail(failure, { seatNos });
      }
    } finally {
      setBusy(null);
      if (!seatsNow) void loadSeats(scheduleId).catch(() => undefined);
      void loadSchedules();
    }
  }

  function holdSelected() {
    const seatNos = [...selected].sort((a, b) => a - b);
    if (!seatNos.length) return;
    void hold(seatNos.length === 1 ? { seatNo: seatNos[0]! } : { seatNos }, seatNos);
  }

  function holdBest(event: Event) {
    event.preventDefault();
    const body: BestAvailableHold = { quantity };
    if (maxPrice) body.maxPrice = Number(maxPrice);
    void hold(body);
  }

  async function release(reservation: Reservation) {
    setBusy('release');
    setError(null);
    try {
      await site.booking.cancelReservation(token, reservation.reservationId);
      setInfo(`Seat ${reservation.seatNo} released.`);
    } catch (failure) {
      if (!(failure instanceof ApiError && failure.code === 'RESERVATION_NOT_HELD')) {
        fail(failure);
        setBusy(null);
        return;
      }
    }
    setHeld((current) => current.filter((r) => r.reservationId !== reservation.reservationId));
    setBusy(null);
    if (scheduleId) void loadSeats(scheduleId).catch(() => undefined);
    void loadSchedules();
  }

  async function charge(event: Event) {
    event.preventDefault();
    const amount = Number(chargeAmount || shortfall);
    setBusy('charge');
    setError(null);
    setInfo(null);
    try {
      const { data } = await attempt(idempotency.charge, { amount }, (key) =>
        site.booking.chargePoints(token, amount, { idempotencyKey: key }),
      );
      setBalance(data.balance);
      setChargeAmount('');
      setInfo(`${formatPoints(amount)} added. Your balance is ${formatPoints(data.balance)}.`);
    } catch (failure) {
      fail(failure, { maxCharge: limits.maxCharge });
    } finally {
      setBusy(null);
    }
  }

  async function pay() {
    if (!held.length) return;
    const ids = held.map((r) => r.reservationId);
    const body = ids.length === 1 ? { reservationId: ids[0]! } : { reservationIds: ids };
    setBusy('pay');
    setError(null);
    setInfo(null);
    props.onPaying();
    try {
      const { data } = await attempt(idempotency.pay, body, (key) =>
        site.booking.payReservations(token, body, { idempotencyKey: key }),
      );
      writeSession(HOLDS_KEY, null);
      const dates = Object.fromEntries((schedules ?? []).map((schedule) => [schedule.id, schedule.startsAt]));
      props.onPaid({ receipt: data, reservations: held, dates });
    } catch (failure) {
      props.onPayFailed();
      fail(failure, { seatNos: held.map((r) => r.seatNo) });
      if (failure instanceof ApiError && failure.code === 'RESERVATION_EXPIRED') setHeld([]);
      void refreshBalance();
      setBusy(null);
    }
  }

  async function giveUp() {
    setBusy('leave');
    setError(null);
    // Holds first, so the seats are free at once rather than when the holds lapse.
    await Promise.allSettled(held.map((r) => site.booking.cancelReservation(token, r.reservationId)));
    writeSession(HOLDS_KEY, null);
    try {
      await props.onLeave();
    } catch (failure) {
      fail(failure);
      setBusy(null);
    }
  }

  const tiers = seats ? tiersOf(seats) : [];
  const selectedSeats = seats?.filter((s) => selected.has(s.seatNo)) ?? [];

  return (
    <section aria-labelledby="booking-title" class="booking">
      <header class="panel turn-banner">
        <h1 id="booking-title" tabIndex={-1} ref={heading}>
          It’s your turn
        </h1>
        <p class="lead">{props.concertTitle}</p>
        <p class={turnLeft < 60 ? 'turn-time turn-time--low' : 'turn-time'}>
          Book before {formatTime(props.activeUntil)} ·{' '}
          <span role="timer" aria-label="Time left in your turn" id="turn-left">
            {formatCountdown(turnLeft)}
          </span>{' '}
          left
        </p>
        <button type="button" class="button button--quiet button--small" onClick={giveUp} disabled={busy !== null}>
          {busy === 'leave' ? 'Leaving…' : 'Give up my turn'}
        </button>
      </header>

      <div class="notice-slot notice-slot--sticky">
        {error && <Notice tone="error">{error}</Notice>}
        {!error && info && <Notice tone="info">{info}</Notice>}
      </div>

      <div class="booking__grid">
        <div class="panel">
          <h2>1. Pick a date</h2>
          {schedules === null ? (
            <p aria-busy="true">Loading dates…</p>
          ) : schedules.length === 0 ? (
            <p>There are no dates on sale.</p>
          ) : (
            <fieldset class="dates">
              <legend class="visually-hidden">Date</legend>
              {schedules.map((schedule) => (
                <label class="date" key={schedule.id}>
                  <input
                    type="radio"
                    name="date"
                    value={schedule.id}
                    checked={schedule.id === scheduleId}
                    disabled={schedule.availableSeats === 0 && schedule.id !== scheduleId}
                    onChange={() => {
                      setScheduleId(schedule.id);
                      setSeats(null);
                      setSelected(new Set());
                    }}
                  />
                  <span class="date__when">{formatDateTime(schedule.startsAt)}</span>
                  <span class="date__left">
                    {schedule.availableSeats > 0 ? `${schedule.availableSeats} seats left` : 'Sold out'}
                  </span>
                </label>
              ))}
            </fieldset>
          )}

          <h2>2. Pick seats</h2>
          {seats ? (
            <SeatMap
              seats={seats}
              selected={selected}
              mine={mine}
              onToggle={(seatNo) =>
                setSelected((current) => {
                  const next = new Set(current);
                  if (next.has(seatNo)) next.delete(seatNo);
                  else next.add(seatNo);
                  return next;
                })
              }
            />
          ) : (
            <div class="hall hall--loading" aria-busy="true">
              Loading seats…
            </div>
          )}
          <div class="selection">
            <p aria-live="polite">
              {selectedSeats.length
                ? `Selected: seat${selectedSeats.length > 1 ? 's' : ''} ${selectedSeats.map((s) => s.seatNo).join(', ')} · ${formatPoints(selectedSeats.reduce((sum, s) => sum + s.price, 0))}`
                : 'Pick seats on the map, or let us find the best ones.'}
            </p>
            <button
              type="button"
              class="button button--primary"
              onClick={holdSelected}
              disabled={!selectedSeats.length || busy !== null}
            >
              {busy === 'hold'
                ? 'Holding…'
                : `Hold ${selectedSeats.length > 1 ? `${selectedSeats.length} seats` : 'seat'}`}
            </button>
          </div>
          <form class="best" onSubmit={holdBest}>
            <label class="field field--inline">
              <span class="field__label">Best available ×</span>
              <select value={String(quantity)} onChange={(event) => setQuantity(Number(event.currentTarget.value))}>
                {Array.from({ length: limits.maxHoldsPerUser }, (_, i) => i + 1).map((n) => (
                  <option key={n} value={String(n)}>
                    {n}
                  </option>
                ))}
              </select>
            </label>
            <label class="field field--inline">
              <span class="field__label">Price up to</span>
              <select value={maxPrice} onChange={(event) => setMaxPrice(event.currentTarget.value)}>
                <option value="">any price</option>
                {tiers.map((price) => (
                  <option key={price} value={String(price)}>
                    {formatPoints(price)}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit" class="button" disabled={busy !== null || !scheduleId}>
              Find seats together
            </button>
          </form>
        </div>

        <div class="panel checkout">
          <h2>3. Pay</h2>
          {held.length ? (
            <>
              <p class="hold-time">
                Held for you ·{' '}
                <span role="timer" aria-label="Time left on your hold" id="hold-left">
                  {formatCountdown(((expiresAt ?? now) - now) / 1000)}
                </span>
              </p>
              <ul class="held">
                {held.map((r) => (
                  <li key={r.reservationId}>
                    <span>
                      Seat {r.seatNo} · {formatPoints(r.price)}
                    </span>
                    <button
                      type="button"
                      class="button button--quiet button--small"
                      onClick={() => release(r)}
                      disabled={busy !== null}
                      aria-label={`Release seat ${r.seatNo}`}
                    >
                      Release
                    </button>
                  </li>
                ))}
              </ul>
              <p class="total">
                Total <strong id="total">{formatPoints(total)}</strong>
              </p>
            </>
          ) : (
            <p>No seats held yet. A hold keeps seats for you for {Math.round(limits.holdSeconds / 60)} minutes.</p>
          )}
          <p>
            Your points: <strong id="balance">{balance === null ? '—' : formatPoints(balance)}</strong>
          </p>
          <form class="charge" onSubmit={charge}>
            <label class="field">
              <span class="field__label">Points to add</span>
              <input
                type="number"
                name="amount"
                inputMode="numeric"
                min={1}
                max={limits.maxCharge}
                step={1}
                placeholder={shortfall ? String(shortfall) : '100000'}
                value={chargeAmount}
                onInput={(event) => setChargeAmount(event.currentTarget.value)}
              />
            </label>
            <button type="submit" class="button" disabled={busy !== null || (!chargeAmount && !shortfall)}>
              {busy === 'charge' ? 'Adding…' : 'Add points'}
            </button>
          </form>
          <button
            type="button"
            class="button button--primary button--wide"
            onClick={pay}
            disabled={!held.length || busy !== null}
          >
            {busy === 'pay' ? 'Paying…' : held.length ? `Pay ${formatPoints(total)}` : 'Pay'}
          </button>
        </div>
      </div>
      <VerifyDraw figures={props.figures} userId={props.userId} />
    </section>
  );
}

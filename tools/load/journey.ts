import { randomUUID } from 'node:crypto';
import {
  ApiError,
  createBookingClient,
  createGatewayClient,
  type Concert,
  type ApiResponse,
  type HeldSeats,
  type Placement,
  type Reservation,
} from '@concert/contract';
import type { IdentitySource } from './identity.js';
import type { Stats } from './stats.js';
import { tracingFetch } from './trace.js';

export type JourneyOptions = {
  gatewayUrl: string;
  bookingUrl: string;
  concert: Concert;
  identity: IdentitySource;
  mode: 'poll' | 'stream';
  thinkMs: number;
  seatsPerHold: number;
  payRatio: number;
  /** Scales every `pollAfterSeconds` (1 = as the server asks). */
  pollScale: number;
  /** A waiter gives up (and leaves) after this long. */
  maxWaitMs: number;
  /** Every n-th fan joins twice (a second tab) to check it keeps one place. */
  rejoinEvery: number;
  /** Stops every fan's waiting and thinking (the run is over). */
  signal: AbortSignal;
};

/** Seats each fan paid for, to check none is sold twice. */
export type SoldSeat = { scheduleId: string; seatNo: number; userId: string };

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** Exponentially distributed think time around `meanMs` (capped at 5× the mean). */
const think = (meanMs: number, signal: AbortSignal) =>
  sleep(Math.min(5 * meanMs, -Math.log(1 - Math.random()) * meanMs), signal);

const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)];

class Stop extends Error {}

/**
 * One fan's whole journey over the typed clients: sign in, join, follow the place (paced polls or
 * the event stream) until admitted, browse, hold, charge and pay (or cancel), then check what the
 * outside can see: the queue token ended, the balance equals charges minus payments. Never
 * rejects: whatever ends a journey early is one fan with the outcome `error`.
 */
export async function runFan(index: number, userId: string, opts: JourneyOptions, stats: Stats, sold: SoldSeat[]) {
  const { fetch } = tracingFetch();
  const counted: typeof fetch = async (input, init) => {
    stats.requests++;
    const response = await fetch(input, init);
    if (response.status >= 500) stats.serverErrors++;
    return response;
  };
  const gateway = createGatewayClient({ baseUrl: opts.gatewayUrl, fetch: counted });
  const booking = createBookingClient({ baseUrl: opts.bookingUrl, fetch: counted });
  const queueId = opts.concert.queueId;

  /** Runs a step; an unexpected error is recorded and ends the journey. */
  async function step<T>(operation: string, run: () => Promise<T>, expected: string[] = []): Promise<T | ApiError> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof ApiError) {
        if (expected.includes(error.code)) return error;
        stats.errors.add(`${operation} ${error.code}`);
        throw new Stop();
      }
      stats.errors.add(`${operation} ${(error as Error).name}: ${(error as Error).message}`.slice(0, 120));
      throw new Stop();
    }
  }
  const ok = <T>(value: T | ApiError): T => value as T;

  stats.fans++;
  try {
    const identityToken = await step('identity', () => opts.identity(userId, gateway));
    const joinedAt = performance.now();
    const joined = ok(await step('joinQueue', () => gateway.joinQueue(queueId, identityToken as string)));
    stats.joinLatencyMs.push(performance.now() - joinedAt);
    stats.joins++;
    const token = joined.data.token;
    if (opts.rejoinEvery > 0 && index % opts.rejoinEvery === 0) {
      const again = ok(await step('joinQueue', () => gateway.joinQueue(queueId, identityToken as string)));
      if (again.status !== 200 || again.data.token !== token) {
        stats.violations.push(
          `${userId}: a second join gave ${again.status} and ${again.data.token === token ? 'the same' : 'another'} token`,
        );
      }
    }

    // Wait for the turn.
    let placement: Placement = joined.data;
    let polls = 0;
    if (placement.status === 'ACTIVE') stats.joinedAtOnce++;
    else {
      const deadline = joinedAt + opts.maxWaitMs;
      if (opts.mode === 'stream') {
        const streamed = await followStream(gateway.eventsUrl(queueId, token), fetch, deadline, opts.signal);
        stats.streams.add(streamed.kind);
        if (streamed.kind === 'active') placement = streamed.placement;
        if (streamed.kind === 'ended') {
          stats.errors.add('stream TOKEN_ENDED');
          throw new Stop();
        }
      }
      while (placement.status !== 'ACTIVE') {
        if (performance.now() > deadline || opts.signal.aborted) {
          stats.gaveUp++;
          stats.pollsPerWaiter.push(polls);
          await gateway.leaveQueue(queueId, token).catch(() => {});
          stats.outcomes.add('gave up waiting');
          return;
        }
        const waitMs = placement.pollAfterSeconds * 1000 * opts.pollScale * (0.8 + Math.random() * 0.4);
        await sleep(Math.min(waitMs, Math.max(0, deadline - performance.now())), opts.signal);
        placement = ok(await step('pollToken', () => gateway.pollToken(queueId, token))).data;
        polls++;
      }
      stats.pollsPerWaiter.push(polls);
    }
    stats.admissionMs.push(performance.now() - joinedAt);

    // Browse and hold.
    await think(opts.thinkMs, opts.signal);
    let held: { reservations: Reservation[]; amount: number } | undefined;
    for (let attempt = 0; attempt < 3 && !held; attempt++) {
      const schedules = ok(await step('listSchedules', () => booking.listSchedules(token, opts.concert.id))).data;
      const schedule = pick(schedules.filter((s) => s.availableSeats >= opts.seatsPerHold));
      if (!schedule) break;
      const seats = ok(await step('listSeats', () => booking.listSeats(token, opts.concert.id, schedule.id))).data;
      const free = seats.filter((seat) => seat.status === 'AVAILABLE').sort(() => Math.random() - 0.5);
      if (free.length < opts.seatsPerHold) continue;
      await think(opts.thinkMs / 2, opts.signal);
      const chosen = free.slice(0, opts.seatsPerHold).map((seat) => seat.seatNo);
      const answer = await step(
        'holdSeats',
        (): Promise<ApiResponse<Reservation | HeldSeats>> =>
          chosen.length === 1
            ? booking.holdSeats(token, opts.concert.id, schedule.id, { seatNo: chosen[0]! })
            : booking.holdSeats(token, opts.concert.id, schedule.id, { seatNos: chosen }),
        ['SEAT_UNAVAILABLE', 'NOT_ENOUGH_SEATS', 'HOLD_LIMIT_REACHED', 'TICKET_LIMIT_REACHED'],
      );
      if (answer instanceof ApiError) {
        stats.holds.add(/LIMIT/.test(answer.code) ? 'limit' : 'lost');
        continue;
      }
      stats.holds.add('won');
      const body = answer.data;
      held = 'reservations' in body ? body : { reservations: [body], amount: body.price };
    }
    if (!held) {
      stats.soldOut++;
      stats.outcomes.add('found nothing to hold');
      await step('leaveQueue', () => gateway.leaveQueue(queueId, token), ['TOKEN_EXPIRED']);
      return;
    }
    stats.heldFans++;

    // Pay, or change one's mind.
    await think(opts.thinkMs, opts.signal);
    if (Math.random() >= opts.payRatio) {
      for (const { reservationId } of held.reservations) {
        await step('cancelReservation', () => booking.cancelReservation(token, reservationId), [
          'RESERVATION_NOT_HELD',
        ]);
      }
      await step('leaveQueue', () => gateway.leaveQueue(queueId, token), ['TOKEN_EXPIRED']);
      stats.outcomes.add('cancelled');
      return;
    }
    const charged = ok(
      await step('chargePoints', () => booking.chargePoints(token, held!.amount, { idempotencyKey: randomUUID() })),
    ).data;
    const paid = await step(
      'payReservations',
      () =>
        booking.payReservations(
          token,
          { reservationIds: held!.reservations.map((r) => r.reservationId) },
          { idempotencyKey: randomUUID() },
        ),
      ['RESERVATION_EXPIRED'],
    );
    if (paid instanceof ApiError) {
      stats.outcomes.add('hold lapsed before paying');
      await gateway.leaveQueue(queueId, token).catch(() => {});
      return;
    }
    stats.paidFans++;
    stats.paidPoints += paid.data.amount;
    stats.outcomes.add('paid');
    for (const r of held.reservations) sold.push({ scheduleId: r.scheduleId, seatNo: r.seatNo, userId });

    // What the outside can check.
    if (paid.data.amount !== held.amount) {
      stats.violations.push(`${userId}: paid ${paid.data.amount} for holds worth ${held.amount}`);
    }
    const after = await gateway.pollToken(queueId, token).then(
      () => 'still live',
      (error: unknown) => (error instanceof ApiError ? error.code : String(error)),
    );
    if (after !== 'TOKEN_EXPIRED') stats.violations.push(`${userId}: queue token ${after} after paying`);
    const balance = ok(await step('getBalance', () => booking.getBalance(identityToken as string))).data.balance;
    if (balance !== charged.balance - paid.data.amount) {
      stats.violations.push(`${userId}: balance ${balance}, expected ${charged.balance} - ${paid.data.amount}`);
    }
  } catch (error) {
    // A Stop was recorded by its step. Anything else is an answer the tool could not read (a body
    // of the wrong shape) or its own bug: recorded here, and it counts against the run all the same.
    if (!(error instanceof Stop)) stats.errors.add(`bug ${(error as Error).message}`.slice(0, 120));
    stats.outcomes.add('error');
  }
}

type StreamResult =
  { kind: 'active'; placement: Placement } | { kind: 'ended' } | { kind: 'fell back to polls' } | { kind: 'timed out' };

/**
 * Follows `GET .../tokens/me/events` until ACTIVE, `end`, or the deadline. Any failure to stream
 * (no such route, a proxy that buffers, a dropped connection) falls back to polls, as the web app does.
 */
async function followStream(
  url: string,
  fetchImpl: typeof fetch,
  deadline: number,
  signal: AbortSignal,
): Promise<StreamResult> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  signal.addEventListener('abort', stop, { once: true });
  const timer = setTimeout(stop, Math.max(0, deadline - performance.now()));
  try {
    const response = await fetchImpl(url, { headers: { accept: 'text/event-stream' }, signal: controller.signal });
    if (!response.ok || !response.body) return { kind: 'fell back to polls' };
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: ?(.*)$/m.exec(block)?.[1];
        const data = block
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trimStart())
          .join('\n');
        if (event === 'end') return { kind: 'ended' };
        if (event === 'status' && data) {
          const placement = JSON.parse(data) as Placement;
          if (placement.status === 'ACTIVE') return { kind: 'active', placement };
        }
      }
    }
    return { kind: 'fell back to polls' };
  } catch {
    return controller.signal.aborted && performance.now() >= deadline
      ? { kind: 'timed out' }
      : { kind: 'fell back to polls' };
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', stop);
    controller.abort();
  }
}

/*
 * A booking instance SIGKILLed in the middle of a payment burst (issue 11 item 4). Every payment
 * is then fully committed or absent, and a payment committed by the dead instance still ends its
 * paying token within a few seconds, even when its fan never hears back and never retries: the
 * transaction recorded that effect in the outbox, which the worker applies when the request could
 * not. A keyed retry on the other instance gets the first answer (201) back and changes nothing.
 */
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { ApiError } from '@concert/contract';
import { hasRedisServer, invariantViolations, NO_VIOLATIONS, privatePostgresUnavailable } from '@concert/testing';
import { holdAnySeat, sleep, startFaultSystem, untilAvailable } from './harness.js';

t.setTimeout(300_000);

const skip = !hasRedisServer ? 'redis-server is not installed' : privatePostgresUnavailable;
const PAYERS = 60;
/** The kill comes once this many payments committed: the burst is in full swing, many requests in flight. */
const KILL_AFTER_COMMITS = 10;
/** How soon a committed payment's token must be ended, whatever happened to the request. */
const TOKEN_ENDED_WITHIN_MS = 5000;

t.test('a booking instance killed during a payment burst', { skip }, async (t) => {
  // Two booking instances (one dies, one takes the retries); one of the others is enough.
  const system = await startFaultSystem(t, {
    appendonly: false,
    env: { HOLD_SECONDS: '120' },
    instances: { gateway: 1, worker: 1 },
  });
  const { stack, gateways, bookings, admin, concert, db, identityToken } = system;
  await admin.putQueue(concert.queueId, { maxActive: 1000, activeTtlSeconds: 300 });

  // Sixty fans, each active with a held seat and the points to pay for it. The holds go through
  // the instance that will die, so that it is in service (connections open) when the burst comes.
  const payers = await Promise.all(
    Array.from({ length: PAYERS }, async (_, i) => {
      const userId = `payer-${i}`;
      const { token, status } = (await gateways[0]!.joinQueue(concert.queueId, await identityToken(userId))).data;
      if (status !== 'ACTIVE') throw new Error(`${userId} is not active`);
      const held = await holdAnySeat(system, bookings[0]!, token);
      await untilAvailable(() => bookings[1]!.chargePoints(token, held.price, { idempotencyKey: randomUUID() }));
      return { userId, token, reservationId: held.reservationId, key: randomUUID() };
    }),
  );

  // The burst goes to the first booking instance, killed once several payments have committed.
  const doomed = stack.apps.filter((app) => app.name === 'booking')[0]!;
  let paidAnswers = 0;
  const answers = payers.map((payer) =>
    bookings[0]!
      .payReservations(payer.token, { reservationId: payer.reservationId }, { idempotencyKey: payer.key })
      .then(
        (answer) => {
          paidAnswers++;
          return { status: answer.status as number, paymentId: answer.data.paymentId };
        },
        (error: unknown) => ({ status: error instanceof ApiError ? error.status : 0, paymentId: undefined }),
      ),
  );
  // The kill comes at a moment when some committed payments have not been answered yet (as far
  // as the client knows), so that it is likely to leave some of them never answered.
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(5)) {
    const commits = await db.payment.count();
    if (commits >= KILL_AFTER_COMMITS && commits - paidAnswers >= 3) break;
  }
  await stack.kill(doomed, 'SIGKILL');
  const killedAt = Date.now();
  const first = await Promise.all(answers);
  const outboxAtKill = await db.outboxEffect.count();
  const committed = await db.payment.findMany({ select: { id: true, userId: true } });
  const answered = first.filter((a) => a.status === 201).length;
  const unanswered = first.filter((a) => a.status === 0).length;
  t.ok(committed.length >= KILL_AFTER_COMMITS, `${committed.length} payments committed before the kill`);
  t.ok(unanswered > 0, `the kill cut ${unanswered} requests off (${answered} were answered 201 before it)`);
  const byStatus: Record<string, number> = {};
  for (const { status } of first) byStatus[status] = (byStatus[status] ?? 0) + 1;
  t.comment(
    `first answers by status (0: cut off): ${JSON.stringify(byStatus)}; outbox rows at the kill: ${outboxAtKill}`,
  );

  // Every payment is whole or absent: the seat sold, the reservation confirmed, one USE row each.
  t.same(await invariantViolations(db), NO_VIOLATIONS, 'no half-written payment: every invariant holds');
  const paidUsers = new Set(committed.map((payment) => payment.userId));
  const reservations = await db.reservation.findMany({
    where: { id: { in: payers.map((payer) => payer.reservationId) } },
    select: { userId: true, status: true, paymentId: true },
  });
  t.ok(
    reservations.every((r) =>
      paidUsers.has(r.userId) ? r.status === 'CONFIRMED' && r.paymentId !== null : r.status === 'HELD' && !r.paymentId,
    ),
    'each reservation is either paid (CONFIRMED) or still held, nothing in between',
  );

  // Of the fans cut off, some retry elsewhere and some give up. Among those whose payment had
  // committed, at least one gives up: nobody but the worker can end that token (its request
  // died after the commit, and no retry replays it).
  const cutOff = payers.filter((_, i) => first[i]!.status === 0);
  const committedCutOff = cutOff.filter((payer) => paidUsers.has(payer.userId));
  const givingUp = committedCutOff.filter((_, i) => i % 2 === 0);
  const retrying = [
    ...committedCutOff.filter((_, i) => i % 2 === 1),
    ...cutOff.filter((payer) => !paidUsers.has(payer.userId)).filter((_, i) => i % 2 === 0),
  ];
  t.ok(
    givingUp.length > 0,
    `${committedCutOff.length} payments committed and never answered; ${givingUp.length} of their fans give up`,
  );
  const retries = await Promise.all(
    retrying.map((payer) =>
      untilAvailable(() =>
        bookings[1]!.payReservations(
          payer.token,
          { reservationId: payer.reservationId },
          { idempotencyKey: payer.key },
        ),
      ).then(
        (answer) => ({ payer, status: answer.status, replayed: answer.headers.get('idempotent-replayed') === 'true' }),
        (error: unknown) => ({ payer, status: error instanceof ApiError ? error.status : 0, replayed: false }),
      ),
    ),
  );
  t.ok(
    retries.every((r) => r.status === 201),
    `every keyed retry on the other instance paid or replayed (${retries.length} retries)`,
  );
  t.ok(
    retries.filter((r) => paidUsers.has(r.payer.userId)).every((r) => r.replayed),
    'a retry of a payment the dead instance committed is a replay (Idempotent-Replayed), not a second payment',
  );
  const payments = await db.payment.groupBy({ by: ['userId'], _count: true });
  t.ok(
    payments.every((p) => p._count === 1),
    'nobody paid twice',
  );

  // Every fan who paid, however their request ended, loses the token within a few seconds.
  const paidNow = new Set(payments.map((p) => p.userId));
  const stillLive = async (fans: typeof payers) => {
    const live: string[] = [];
    for (const payer of fans) {
      const poll = await gateways[0]!.pollToken(concert.queueId, payer.token).catch((error: unknown) => error);
      if (!(poll instanceof ApiError && poll.code === 'TOKEN_EXPIRED')) live.push(payer.userId);
    }
    return live;
  };
  const endedWithin = async (fans: typeof payers) => {
    let live = await stillLive(fans);
    while (live.length && Date.now() - killedAt < TOKEN_ENDED_WITHIN_MS) {
      await sleep(200);
      live = await stillLive(fans);
    }
    return { live, ms: Date.now() - killedAt };
  };
  const gaveUp = await endedWithin(givingUp);
  t.same(gaveUp.live, [], `the worker ended the tokens of the fans who gave up, within ${gaveUp.ms} ms of the kill`);
  t.comment(`RECOVERY booking-crash: committed, unanswered, not retried: tokens ended ${gaveUp.ms} ms after the kill`);
  const everyone = await endedWithin(payers.filter((p) => paidNow.has(p.userId)));
  t.same(everyone.live, [], `every paying token ended within ${everyone.ms} ms of the kill`);
  // The worker takes every outbox row once it is a second old (the request has had its chance to
  // apply it), so the rows of the retries' own payments may still be there a moment longer.
  const outboxDeadline = Date.now() + 5000;
  let outbox = await db.outboxEffect.count();
  while (outbox > 0 && Date.now() < outboxDeadline) {
    await sleep(200);
    outbox = await db.outboxEffect.count();
  }
  t.equal(outbox, 0, 'the outbox is emptied: every recorded effect was applied');

  // The dead instance comes back and serves again.
  await stack.restart(doomed);
  const after = await system.bookings[0]!.listConcerts();
  t.equal(after.status, 200, 'the killed instance restarted and serves');
  t.same(stack.unexpectedExits, [], 'no other process died');
});

import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { seedDemoData, type Db } from '@concert/db';
import { ApiError, createBookingClient, createGatewayClient, type Placement } from '@concert/contract';
import { setupTestContext, startStack, TEST_ADMIN_KEY } from '@concert/testing';
import { deployQueries, exportedNames, isExported, metricNamesIn, scrape, valueOf, type Scrape } from './prometheus.js';
import { writeStaticSite } from './static-site.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Labels Prometheus (and the Operator) put on every target: an app label by one of these names would clash. */
const TARGET_LABELS = ['job', 'instance', 'namespace', 'pod', 'container', 'endpoint'];

const codeOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (error instanceof ApiError) return error.code;
    throw error;
  }
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Scrapes `url` until `holds` is true of the scrape (figures read from Redis are up to 1 s old), within `timeoutMs`. */
async function scrapeUntil(url: string, holds: (scrape: Scrape) => boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let scraped = await scrape(url);
  while (!holds(scraped) && Date.now() < deadline) {
    await sleep(200);
    scraped = await scrape(url);
  }
  return scraped;
}

// Real processes and a real journey (an abandonment takes at least 30 s): more than tap's default 120 s on a busy machine.
t.setTimeout(300_000);

t.test('after a scripted journey, each process exports the figures of what happened', async (t) => {
  const context = await setupTestContext(t, {
    database: true,
    env: { ADMIT_INTERVAL_MS: 200, MAX_HOLDS_PER_USER: 2, LOG_LEVEL: 'warn' },
  });
  await seedDemoData(context.db as Db);
  const stack = await startStack({
    env: { ...context.env, WEB_STATIC_DIR: writeStaticSite(t.testdir()) },
    web: true,
  });
  t.teardown(() => stack.stop());
  const [gatewayUrl, bookingUrl, workerUrl, webUrl] = [
    stack.gateways[0]!,
    stack.bookings[0]!,
    stack.workers[0]!,
    stack.web!,
  ];
  const gateway = createGatewayClient(gatewayUrl);
  const admin = gateway.admin(TEST_ADMIN_KEY);
  const booking = createBookingClient(bookingUrl);
  const join = async (queueId: string, userId: string) =>
    (await gateway.joinQueue(queueId, await context.identityToken(userId))).data;

  // Every poll the journey makes, by the labels the gateway counts it under (an error has no queue).
  const polls = new Map<string, number>();
  const poll = async (queueId: string, token: string): Promise<Placement | string> => {
    let key: string;
    let answer: Placement | string;
    try {
      answer = (await gateway.pollToken(queueId, token)).data;
      key = `${queueId} ${answer.status === 'ACTIVE' ? 'active' : 'waiting'}`;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      answer = error.code;
      key = ` ${error.code.toLowerCase()}`;
    }
    polls.set(key, (polls.get(key) ?? 0) + 1);
    return answer;
  };
  /** Polls (as a fan's page would) until the token is ACTIVE; fails the test after 30 s. */
  const pollUntilActive = async (queueId: string, token: string, who: string) => {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const answer = await poll(queueId, token);
      if (typeof answer !== 'string' && answer.status === 'ACTIVE') return t.pass(`${who} is admitted`);
      await sleep(200);
    }
    t.fail(`${who} was not admitted within 30 s`);
  };

  // First, the fan who will be dropped for absence: he joins a paused queue and never polls (the
  // shortest grace is 30 s, so the rest of the journey happens meanwhile).
  const abandonQueue = 'ops-abandon';
  await admin.putQueue(abandonQueue, { maxActive: 1, paused: true, abandonAfterSeconds: 30 });
  t.equal((await join(abandonQueue, 'carl')).status, 'WAITING');
  // A queue whose opening is an hour away, with an admission rate: its fan waits in the lobby.
  const lobbyQueue = 'ops-lobby';
  await admin.putQueue(lobbyQueue, {
    maxActive: 5,
    admitPerMinute: 30,
    opensAt: new Date(Date.now() + 3_600_000).toISOString(),
  });
  const lou = await join(lobbyQueue, 'lou');
  t.equal(lou.queueStatus, 'LOBBY');

  const [concert] = (await booking.listConcerts()).data;
  const queueId = concert!.queueId;
  await admin.putQueue(queueId, { maxActive: 1, activeTtlSeconds: 300 });

  // Admission 1, at join: Ann (room, nobody waiting). Bob and Dan wait behind her.
  const ann = await join(queueId, 'ann');
  const bob = await join(queueId, 'bob');
  const dan = await join(queueId, 'dan');
  t.equal(ann.status, 'ACTIVE');
  t.equal(bob.status, 'WAITING');
  t.equal(dan.status, 'WAITING');
  await gateway.joinQueue(queueId, await context.identityToken('bob')); // a second tab: rejoined
  t.equal(await codeOf(gateway.joinQueue(queueId, 'not-a-token')), 'IDENTITY_INVALID');
  await poll(queueId, bob.token);
  await poll(queueId, ann.token);

  // The gauges are read from Redis at scrape time.
  const during = await scrapeUntil(
    gatewayUrl,
    (s) =>
      valueOf(s, 'waiting_room_waiting', { queue: queueId }) === 2 &&
      valueOf(s, 'waiting_room_lobby', { queue: lobbyQueue }) === 1,
  );
  t.equal(valueOf(during, 'waiting_room_waiting', { queue: queueId }), 2, 'two fans waiting');
  t.equal(valueOf(during, 'waiting_room_active', { queue: queueId }), 1, 'one fan active');
  t.equal(valueOf(during, 'waiting_room_max_active', { queue: queueId }), 1, 'maxActive as set');
  t.equal(valueOf(during, 'waiting_room_queue_status', { queue: queueId, status: 'OPEN' }), 1, 'queue open');
  t.equal(valueOf(during, 'waiting_room_paused', { queue: queueId }), 0);
  t.notOk(
    during.samples.some((s) => s.name === 'waiting_room_admit_per_minute' && s.labels.queue === queueId),
    'no admitPerMinute figure for an uncapped queue',
  );
  t.equal(valueOf(during, 'waiting_room_lobby', { queue: lobbyQueue }), 1, 'one fan in the lobby');
  t.equal(valueOf(during, 'waiting_room_waiting', { queue: lobbyQueue }), 0, 'nobody in line before the opening');
  t.equal(valueOf(during, 'waiting_room_queue_status', { queue: lobbyQueue, status: 'LOBBY' }), 1, 'in its lobby');
  t.equal(valueOf(during, 'waiting_room_admit_per_minute', { queue: lobbyQueue }), 30, 'admitPerMinute as set');
  t.equal(valueOf(during, 'waiting_room_paused', { queue: abandonQueue }), 1, 'the other queue is paused');

  // Ann holds two seats (won), tries a taken one (lost) and a third (limit), charges, pays, and
  // her client retries the charge and the payment with the same keys (replays).
  const schedule = (await booking.listSchedules(ann.token, concert!.id)).data[0]!;
  const hold = (seatNo: number) => booking.holdSeats(ann.token, concert!.id, schedule.id, { seatNo });
  const first = (await hold(1)).data;
  const second = (await hold(2)).data;
  t.equal(await codeOf(hold(1)), 'SEAT_UNAVAILABLE');
  t.equal(await codeOf(hold(3)), 'HOLD_LIMIT_REACHED');
  const chargeKey = randomUUID();
  await booking.chargePoints(ann.token, 400_000, { idempotencyKey: chargeKey });
  await booking.chargePoints(ann.token, 400_000, { idempotencyKey: chargeKey });
  const payKey = randomUUID();
  const body = { reservationIds: [first.reservationId, second.reservationId] };
  const paid = (await booking.payReservations(ann.token, body, { idempotencyKey: payKey })).data;
  const again = await booking.payReservations(ann.token, body, { idempotencyKey: payKey });
  t.equal(again.headers.get('idempotent-replayed'), 'true');
  t.equal(paid.amount, first.price + second.price);

  // Admission 2, after the payment: paying ended Ann's turn and handed the place to Bob.
  t.equal(await poll(queueId, ann.token), 'TOKEN_EXPIRED');
  await pollUntilActive(queueId, bob.token, 'Bob');
  // Admission 3, on leave: Bob leaves and Dan gets his place. Dan leaves too (nobody waits).
  await gateway.leaveQueue(queueId, bob.token);
  await pollUntilActive(queueId, dan.token, 'Dan');
  await gateway.leaveQueue(queueId, dan.token);

  // Ann refunds the payment (her identity token: her queue token is over), her client retries it
  // with the same key (a replay), then tries again with a new one (already refunded).
  const annIdentity = await context.identityToken('ann');
  const refundKey = randomUUID();
  const refund = (await booking.refundPayment(annIdentity, paid.paymentId, { idempotencyKey: refundKey })).data;
  t.equal(refund.amount, paid.amount);
  await booking.refundPayment(annIdentity, paid.paymentId, { idempotencyKey: refundKey });
  t.equal(
    await codeOf(booking.refundPayment(annIdentity, paid.paymentId, { idempotencyKey: randomUUID() })),
    'PAYMENT_ALREADY_REFUNDED',
  );

  // Admissions 4 and 5, by the worker's tick: Eve and Fay join while the queue is paused, with
  // turns of 10 s; resumed, the tick admits Eve, and when her turn runs out (an expiry) Fay.
  await admin.putQueue(queueId, { paused: true, activeTtlSeconds: 10 });
  const eve = await join(queueId, 'eve');
  const fay = await join(queueId, 'fay');
  t.equal(eve.status, 'WAITING');
  t.equal(fay.status, 'WAITING');
  await admin.putQueue(queueId, { paused: false });
  await pollUntilActive(queueId, eve.token, 'Eve');
  await pollUntilActive(queueId, fay.token, 'Fay');
  t.equal(await poll(queueId, eve.token), 'TOKEN_EXPIRED', "Eve's turn is over");
  // An operator revokes Fay (nobody waits behind her: no admission).
  await admin.revokeUser(queueId, 'fay');

  const admissions = 5;
  const settled = (s: Scrape) =>
    valueOf(s, 'waiting_room_abandonments_total', { queue: abandonQueue }) === 1 &&
    valueOf(s, 'waiting_room_revocations_total', { queue: queueId }) === 1 &&
    valueOf(s, 'waiting_room_active', { queue: queueId }) === 0;
  // Carl is dropped 30-31 s after he joined, by a tick.
  const gatewayScrape = await scrapeUntil(gatewayUrl, settled, 90_000);
  const [bookingScrape, workerScrape, webScrape] = await Promise.all([
    scrape(bookingUrl),
    scrape(workerUrl),
    (async () => {
      // The web app's own traffic: a page, its settings, and a path it does not have.
      for (const path of ['/', '/config.json', '/no-such-page']) await fetch(`${webUrl}${path}`);
      return scrape(webUrl);
    })(),
  ]);
  const scrapes = [
    ['gateway', gatewayScrape],
    ['booking', bookingScrape],
    ['worker', workerScrape],
    ['web', webScrape],
  ] as const;

  t.test('waiting room totals: every admission, abandonment, revocation and expiry', async (t) => {
    const g = gatewayScrape;
    t.equal(
      valueOf(g, 'waiting_room_admissions_total', { queue: queueId }),
      admissions,
      'admissions at join, after payment, on leave and by the tick',
    );
    t.equal(valueOf(g, 'waiting_room_expirations_total', { queue: queueId }), 1, "Eve's turn ran out");
    t.equal(valueOf(g, 'waiting_room_revocations_total', { queue: queueId }), 1, 'Fay was revoked');
    t.equal(valueOf(g, 'waiting_room_abandonments_total', { queue: queueId }), 0);
    t.equal(valueOf(g, 'waiting_room_abandonments_total', { queue: abandonQueue }), 1, 'Carl was dropped');
    t.equal(valueOf(g, 'waiting_room_waiting', { queue: abandonQueue }), 0, 'out of the line');
    t.equal(valueOf(g, 'waiting_room_admissions_total', { queue: abandonQueue }), 0, 'nobody admitted while paused');
    t.equal(
      valueOf(g, 'waiting_room_admissions_total', { queue: lobbyQueue }),
      0,
      'nobody admitted before the opening',
    );
    t.equal(valueOf(g, 'waiting_room_lobby', { queue: lobbyQueue }), 1, 'Lou still in the lobby');
    t.equal(valueOf(g, 'waiting_room_admit_per_minute', { queue: lobbyQueue }), 30);
    t.ok(valueOf(g, 'waiting_room_admitted_last_minute', { queue: queueId }) >= 1, 'the measured admission rate');
    // The worker counts only what its ticks did: the two admissions by the tick, the expiry, Carl.
    const w = workerScrape;
    t.equal(valueOf(w, 'worker_admitted_total', { queue: queueId }), 2, "two of the admissions were the tick's");
    t.equal(valueOf(w, 'worker_expired_tokens_total', { queue: queueId }), 1);
    t.equal(valueOf(w, 'worker_abandoned_total', { queue: abandonQueue }), 1);
  });

  /** Every series of `name` as "<queue> <outcome>" -> value. */
  const byQueueAndOutcome = (scraped: Scrape, name: string) =>
    Object.fromEntries(
      scraped.samples
        .filter((sample) => sample.name === name)
        .map((sample) => [`${sample.labels.queue} ${sample.labels.outcome}`, sample.value] as const)
        .sort(([a], [b]) => a.localeCompare(b)),
    );
  const sorted = (counts: Map<string, number> | Record<string, number>) =>
    Object.fromEntries(
      [...(counts instanceof Map ? counts : Object.entries(counts))].sort(([a], [b]) => a.localeCompare(b)),
    );

  t.test('gateway: joins, polls and leaves by outcome, and the rest', async (t) => {
    const g = gatewayScrape;
    t.same(
      byQueueAndOutcome(g, 'waiting_room_joins_total'),
      sorted({
        [`${queueId} admitted`]: 1,
        [`${queueId} waiting`]: 4,
        [`${queueId} rejoined`]: 1,
        [`${abandonQueue} waiting`]: 1,
        [`${lobbyQueue} waiting`]: 1,
        ' identity_invalid': 1,
      }),
      'every join, by outcome (an error names no queue)',
    );
    t.same(
      byQueueAndOutcome(g, 'waiting_room_polls_total'),
      sorted(polls),
      `every poll: ${JSON.stringify(sorted(polls))}`,
    );
    t.same(byQueueAndOutcome(g, 'waiting_room_leaves_total'), { [`${queueId} left`]: 2 }, 'Bob and Dan left');
    t.equal(valueOf(g, 'waiting_room_waiting', { queue: queueId }), 0, 'nobody waits any more');
    t.equal(valueOf(g, 'waiting_room_active', { queue: queueId }), 0, 'nobody is active any more');
    t.equal(
      valueOf(g, 'http_errors_total', { route: '/queues/:queueId/tokens/me', code: 'TOKEN_EXPIRED' }),
      polls.get(' token_expired'),
    );
    t.equal(valueOf(g, 'service_ready'), 1);
    t.equal(valueOf(g, 'dependency_up', { dependency: 'redis' }), 1);
    t.equal(valueOf(g, 'dependency_up', { dependency: 'postgres' }), 1);
    t.equal(valueOf(g, 'pg_pool_connections_max'), 4, 'the gateway pool is 4');
    t.ok(valueOf(g, 'http_request_duration_seconds_count', { route: '/queues/:queueId/tokens' }) >= 8);
  });

  t.test('booking', async (t) => {
    const b = bookingScrape;
    t.equal(valueOf(b, 'booking_holds_total', { outcome: 'won' }), 2);
    t.equal(valueOf(b, 'booking_holds_total', { outcome: 'lost' }), 1);
    t.equal(valueOf(b, 'booking_holds_total', { outcome: 'limit' }), 1);
    t.equal(valueOf(b, 'booking_held_seats_total'), 2);
    t.equal(valueOf(b, 'booking_charges_total', { outcome: 'charged' }), 1, 'the replayed charge is not a charge');
    t.equal(valueOf(b, 'booking_charged_points_total'), 400_000);
    t.equal(valueOf(b, 'booking_payments_total', { outcome: 'paid' }), 1, 'the replayed payment is not a payment');
    t.equal(valueOf(b, 'booking_paid_points_total'), paid.amount);
    t.equal(valueOf(b, 'booking_refunds_total', { outcome: 'refunded' }), 1, 'the replayed refund is not a refund');
    t.equal(valueOf(b, 'booking_refunds_total', { outcome: 'payment_already_refunded' }), 1);
    t.equal(valueOf(b, 'booking_refunded_points_total'), paid.amount, 'the points paid came back');
    t.equal(valueOf(b, 'booking_idempotent_replays_total', { operation: 'chargePoints' }), 1);
    t.equal(valueOf(b, 'booking_idempotent_replays_total', { operation: 'payReservations' }), 1);
    t.equal(valueOf(b, 'booking_idempotent_replays_total', { operation: 'refundPayment' }), 1);
    t.equal(valueOf(b, 'booking_idempotent_replays_total', { operation: 'holdSeats' }), 0);
    t.equal(valueOf(b, 'pg_pool_connections_max'), context.config.DATABASE_POOL_SIZE);
    t.ok(
      b.samples.some((sample) => sample.name === 'pg_pool_requests_waiting'),
      'callers waiting for a connection',
    );
    t.ok(valueOf(b, 'pg_pool_connections_in_use') + valueOf(b, 'pg_pool_connections_idle') >= 1, 'connections open');
    t.equal(valueOf(b, 'service_ready'), 1);
  });

  t.test('worker', async (t) => {
    const w = workerScrape;
    t.ok(valueOf(w, 'bullmq_job_count', { queue: 'concert-jobs', service: 'worker' }) >= 1, "BullMQ's exporter");
    t.ok(valueOf(w, 'bullmq_job_completed_total', { queue: 'concert-jobs' }) >= 1, 'completed jobs recorded');
    t.ok(valueOf(w, 'worker_job_duration_seconds_count', { job_name: 'admit-queues', outcome: 'ok' }) >= 1);
    t.equal(valueOf(w, 'service_ready'), 1);
  });

  t.test('web: its own requests and readiness', async (t) => {
    const web = webScrape;
    t.equal(valueOf(web, 'service_ready'), 1);
    t.ok(valueOf(web, 'http_request_duration_seconds_count') >= 3, 'the three requests are timed');
    t.equal(valueOf(web, 'http_errors_total', { status_code: '404', code: 'ROUTE_NOT_FOUND' }), 1, 'the missing page');
  });

  t.test('every sample carries the service label of its process, and no target label', async (t) => {
    for (const [service, s] of scrapes) {
      const unlabelled = s.samples.filter((sample) => sample.labels.service !== service).map((x) => x.name);
      t.same([...new Set(unlabelled)], [], `${service}: every sample has service="${service}"`);
      // With honorLabels (kept for `service`), an app label named like a target label would overwrite it.
      const clashing = s.samples.filter((sample) => TARGET_LABELS.some((label) => label in sample.labels));
      t.same([...new Set(clashing.map((x) => x.name))], [], `${service}: no label named ${TARGET_LABELS.join(', ')}`);
    }
  });

  t.test('the dashboards and alert rules read only metrics the apps export', async (t) => {
    const exported = exportedNames(scrapes.map(([, s]) => s));
    const queries = deployQueries(ROOT);
    t.ok(queries.length >= 20, `${queries.length} queries found`);
    const missing = queries.flatMap(({ file, expr }) =>
      metricNamesIn(expr)
        .filter((name) => name !== 'up' && !isExported(name, exported))
        .map((name) => `${file}: ${name} in ${expr}`),
    );
    t.same(missing, [], 'no query names a metric nobody exports');
  });

  t.test('the operations the business metrics watch are the routes’ operationIds', async (t) => {
    type Document = { paths: Record<string, Record<string, { operationId?: string }>> };
    const document = (await (await fetch(`${bookingUrl}/docs/json`)).json()) as Document;
    const ids = Object.values(document.paths).flatMap((methods) => Object.values(methods).map((o) => o.operationId));
    for (const id of ['holdSeats', 'payReservations', 'chargePoints', 'refundPayment']) t.ok(ids.includes(id), id);
    t.equal(document.paths['/payments/{paymentId}/refund']?.post?.operationId, 'refundPayment');
    const gatewayDocument = (await (await fetch(`${gatewayUrl}/docs/json`)).json()) as Document;
    const gatewayIds = Object.values(gatewayDocument.paths).flatMap((m) => Object.values(m).map((o) => o.operationId));
    for (const id of ['joinQueue', 'pollToken', 'leaveQueue']) t.ok(gatewayIds.includes(id), id);
  });

  t.test('Bull Board shows the job schedulers, behind the admin key', async (t) => {
    t.equal((await fetch(`${workerUrl}/admin/jobs`)).status, 401, 'no key: 401');
    const wrong = await fetch(`${workerUrl}/admin/jobs/api/queues`, {
      headers: { 'x-admin-key': 'wrong-key-wrong-key' },
    });
    t.equal(wrong.status, 401);
    t.equal(((await wrong.json()) as { code: string }).code, 'ADMIN_KEY_INVALID');
    t.match(wrong.headers.get('www-authenticate'), /^Basic /, 'a browser is asked for the key');
    const page = await fetch(`${workerUrl}/admin/jobs`, { headers: { 'x-admin-key': TEST_ADMIN_KEY } });
    t.equal(page.status, 200);
    const html = await page.text();
    t.match(html, /<html/i);
    // The page's scripts are relative to its <base href="/admin/jobs/">.
    t.match(html, /<base href="\/admin\/jobs\/"/);
    const script = /<script[^>]+src="([^"]+\.js)"/.exec(html)?.[1];
    const asset = await fetch(new URL(script!, `${workerUrl}/admin/jobs/`), {
      headers: { 'x-admin-key': TEST_ADMIN_KEY },
    });
    t.equal(asset.status, 200, 'its static files are served (@fastify/static on Node 20)');
    const basic = `Basic ${Buffer.from(`operator:${TEST_ADMIN_KEY}`).toString('base64')}`;
    const api = await fetch(`${workerUrl}/admin/jobs/api/job-schedulers`, { headers: { authorization: basic } });
    t.equal(api.status, 200, 'the admin key as a Basic password works too');
    const { schedulers } = (await api.json()) as { schedulers: { name?: string; queueName: string }[] };
    const jobs = [
      'admit-queues',
      'release-holds',
      'sweep-tokens',
      'forget-idempotency-records',
      'apply-outbox',
      'reconcile-seats-left',
    ];
    t.equal(schedulers.length, jobs.length, `${jobs.length} job schedulers`);
    t.ok(schedulers.every((scheduler) => scheduler.queueName === 'concert-jobs'));
    const text = JSON.stringify(schedulers);
    for (const job of jobs) {
      t.match(text, job, `scheduler ${job} is on the board`);
    }
  });
});

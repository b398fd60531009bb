/**
 * The fans' site and the operators' console in a real browser (Debian's Chromium), against the
 * real stack as processes: gateway, booking, worker and the web app, the web on its own origin so
 * every API call crosses origins (CORS). Screenshots of each screen at 390 and 1280 px go to
 * e2e/output/web/ (git-ignored).
 */
import { createHash, createHmac } from 'node:crypto';
import t, { type Test } from 'tap';
import type { Locator, Page } from 'playwright-core';
import { createBookingClient, createGatewayClient } from '@concert/contract';
import { holdSeat } from '@concert/booking-domain';
import { seedDemoData, type Db, type Sql } from '@concert/db';
import { setupTestContext, startStack, TEST_ADMIN_KEY } from '@concert/testing';
import { buildSite, launchChromium, newLocalContext, screenshots, watchPage, type PageWatch } from './browser.js';

t.setTimeout(240_000);

const QUEUE = 'demo-tour';
// A turn long enough for a fan to book on a loaded machine (the fans ahead leave on purpose).
const TURN_SECONDS = 180;
// The page follows its place over the event stream: a change shows within about a second.
const PLACE_UPDATE_MS = 30_000;
const HOUR_MS = 3_600_000;

const context = await setupTestContext(t, { database: true, env: { ADMIT_INTERVAL_MS: 500, LOG_LEVEL: 'warn' } });
const db = context.db as Db;
const { concert } = await seedDemoData(db);
const siteDir = t.testdir();
buildSite(siteDir);
const stack = await startStack({
  // The development login, signing with the key the APIs trust as the identity provider's.
  env: {
    ...context.env,
    DEV_IDENTITY: 'true',
    DEV_IDENTITY_PRIVATE_KEY: context.identityPrivateKeyPem,
    WEB_STATIC_DIR: siteDir,
  },
  web: true,
});
t.teardown(() => stack.stop());
const site = stack.web!;
const gateway = createGatewayClient(stack.gateways[0]!);
const booking = createBookingClient(stack.bookings[0]!);
const admin = gateway.admin(TEST_ADMIN_KEY);

const browser = await launchChromium();
t.teardown(() => browser.close());

/** A page in a fresh browser context: a new tab with nothing remembered. */
async function openPage(width: number): Promise<{ page: Page; watch: PageWatch }> {
  const page = await (await newLocalContext(browser, width)).newPage();
  const watch = await watchPage(page);
  return { page, watch };
}

async function signIn(page: Page, userId: string) {
  await page.goto(site);
  await page.getByLabel('Your name (user id)').fill(userId);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Concerts on sale' }).waitFor();
}

/** Waits until `check` holds, or fails after `ms`. */
async function until(check: () => Promise<boolean>, what: string, ms = 15_000) {
  for (const deadline = Date.now() + ms; !(await check());) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Presses Tab until the focused element is the one `name` names (its accessible text, label or
 * value), checking on the way that every focused element shows a focus ring.
 */
async function tabTo(t: Test, page: Page, name: string, maxTabs = 40) {
  const unringed: string[] = [];
  for (let i = 0; i < maxTabs; i++) {
    await page.keyboard.press('Tab');
    // In the page (a string: this project's Node types have no DOM): the focused element's name.
    const focused = await page.evaluate<{ text: string; ringed: boolean } | null>(`(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const label = el.closest('label')?.textContent ?? el.getAttribute('aria-label') ?? el.textContent ?? '';
      return { text: label.trim(), ringed: el.matches(':focus-visible') && getComputedStyle(el).outlineStyle !== 'none' };
    })()`);
    if (!focused) continue;
    if (!focused.ringed) unringed.push(focused.text);
    if (focused.text.startsWith(name)) {
      t.same(unringed, [], `Tab reaches “${name}”, every stop with a visible focus ring`);
      return;
    }
  }
  throw new Error(`${maxTabs} Tabs never reached “${name}”`);
}

const position = (page: Page) => page.locator('#position');
/** A ticket's line: `Seat 7 · Fri, 1 Jan 2027, 19:00`. */
const DATE_LINE = (seatNo: number) => new RegExp(`^Seat ${seatNo} · \\w{3}, \\d{1,2} \\w{3} \\d{4}, \\d\\d:\\d\\d$`);
const cardOf = (page: Page, title: string) => page.locator('.card', { hasText: title });
const seatStatuses = async (scheduleId: string, seatNos: number[]) =>
  (await db.seat.findMany({ where: { scheduleId, seatNo: { in: seatNos } }, orderBy: { seatNo: 'asc' } })).map(
    (seat) => seat.status,
  );

const [firstDate] = await db.schedule.findMany({ where: { concertId: concert.id }, orderBy: { startsAt: 'asc' } });
// A date of the same concert starting within the refund cut-off, added once the journey has paid.
let soonDate: { id: string } | undefined;

t.test('a fan waits behind others, is admitted, holds, pays, then sees the tickets and refunds them', async (t) => {
  await admin.putQueue(QUEUE, { maxActive: 1, activeTtlSeconds: TURN_SECONDS, paused: false });
  const { page, watch } = await openPage(390);
  await page.goto(site);
  await page.getByRole('heading', { name: 'Sign in to get tickets' }).waitFor();
  await screenshots(page, 'sign-in');
  await signIn(page, 'bea');
  await page.getByText('On sale · no line right now').waitFor();
  await screenshots(page, 'concerts');

  // alex's turn (TURN_SECONDS) starts now: everything until alex leaves must fit in it.
  const first = await gateway.joinQueue(QUEUE, await context.identityToken('alex'));
  t.equal(first.data.status, 'ACTIVE', 'alex holds the only place');
  const ahead = await gateway.joinQueue(QUEUE, await context.identityToken('xena'));
  t.equal(ahead.data.position, 1, 'xena waits first in line');
  await page.getByText('On sale · 1 in line').waitFor();
  t.pass("the concert's card follows its line without a reload");

  await page.getByRole('button', { name: 'Join the line' }).click();
  await page.getByRole('heading', { name: 'You are in line' }).waitFor();
  t.equal(await position(page).textContent(), '2', 'bea is second in line');

  await watch.resetShifts();
  await gateway.leaveQueue(QUEUE, ahead.data.token);
  await page.locator('#position', { hasText: /^1$/ }).waitFor({ timeout: PLACE_UPDATE_MS });
  t.pass('the place moved to 1 without a reload once xena left');
  t.match(await page.locator('#position + dd').textContent(), /you are next/);
  t.equal(await watch.layoutShift(), 0, 'the place changed without moving anything on the page');
  t.equal(await page.locator('.live-mode').textContent(), 'Updates live.', 'followed over the event stream');
  await screenshots(page, 'waiting');

  await gateway.leaveQueue(QUEUE, first.data.token);
  await page.getByRole('heading', { name: 'It’s your turn' }).waitFor({ timeout: PLACE_UPDATE_MS });
  t.pass('admitted once alex left');
  await page.locator('[data-seat="7"]').waitFor();
  t.match(await page.locator('#turn-left').textContent(), /^\d:\d\d$/, 'the turn counts down');

  // Seats 9 and 10 picked; someone takes 10 before bea holds. The map's refresh (one at a time,
  // every 4 s) is held back meanwhile, so the page learns of it from the refused hold alone,
  // whatever the machine's pace.
  let letRefreshThrough!: () => void;
  const refreshHeld = new Promise<void>((resolve) => (letRefreshThrough = resolve));
  let refreshCaught!: () => void;
  const aRefreshIsWaiting = new Promise<void>((resolve) => (refreshCaught = resolve));
  await page.route(
    /\/seats$/,
    async (route) => {
      refreshCaught();
      await refreshHeld;
      await route.continue();
    },
    { times: 1 },
  );
  await aRefreshIsWaiting;
  await page.locator('[data-seat="9"]').click();
  await page.locator('[data-seat="10"]').click();
  await holdSeat({
    sql: context.sql as Sql,
    userId: 'rival',
    concertId: concert.id,
    scheduleId: firstDate!.id,
    seatNo: 10,
    holdSeconds: 300,
    maxHolds: 4,
  });
  await page.getByRole('button', { name: 'Hold 2 seats' }).click();
  letRefreshThrough();
  await page.getByText('Someone just took seat 10. Please pick another.').waitFor();
  t.pass('the refusal names the seat taken, not every seat asked for');
  const refusal = watch.problems.splice(0);
  t.equal(refusal.length, 2, 'the only error answer so far is that 409 (and its console line)');
  t.ok(
    refusal.every((problem) => /409.*\/reservations/.test(problem)),
    'the 409 of the hold',
  );
  t.equal(await page.locator('[data-seat="9"]').getAttribute('aria-pressed'), 'true', 'seat 9 is still picked');
  await page.locator('[data-seat="9"]').click();

  // Seat 7 with the mouse...
  await page.locator('[data-seat="7"]').click();
  t.equal(await page.locator('[data-seat="7"]').getAttribute('aria-pressed'), 'true', 'seat 7 picked');
  await page.getByRole('button', { name: 'Hold seat' }).click();
  await page.getByText(/Seat 7 held for you until/).waitFor();
  await page.locator('[data-seat="7"][aria-label$="held by you"]').waitFor();
  // ...and seat 8 with the keyboard alone: arrow from 7, Space picks, Tab to the hold button.
  await page.locator('[data-seat="7"]').focus();
  await page.keyboard.press('ArrowRight');
  t.equal(
    await page.evaluate<string | null>("document.activeElement?.getAttribute('data-seat')"),
    '8',
    'arrow keys move',
  );
  await page.keyboard.press('Space');
  t.equal(await page.locator('[data-seat="8"]').getAttribute('aria-pressed'), 'true', 'Space picks seat 8');
  await page.keyboard.press('Tab');
  t.equal(
    await page.evaluate<string | null>('document.activeElement?.textContent'),
    'Hold seat',
    'one Tab leaves the map',
  );
  await page.keyboard.press('Enter');
  await page.getByText(/Seat 8 held for you until/).waitFor();
  t.match(await page.locator('#hold-left').textContent(), /^[45]:\d\d$/, 'the hold counts down from 5 minutes');
  t.equal(await page.locator('#total').textContent(), '300,000 pts', 'two front seats');
  await screenshots(page, 'seat-map');

  await page.getByLabel('Points to add').fill('300000');
  await page.getByRole('button', { name: 'Add points' }).click();
  await page.locator('#balance', { hasText: '300,000 pts' }).waitFor();
  await page.getByRole('button', { name: 'Pay 300,000 pts' }).click();
  await page.getByRole('heading', { name: 'You’re going!' }).waitFor();
  t.equal(await page.locator('#paid-amount').textContent(), '300,000 pts');
  await screenshots(page, 'receipt');

  const identity = await context.identityToken('bea');
  const ledger = (await booking.listTransactions(identity)).data;
  t.same(
    ledger.map((entry) => [entry.type, entry.amount, entry.balanceAfter]),
    [
      ['USE', 300_000, 0],
      ['CHARGE', 300_000, 300_000],
    ],
    "the server's ledger agrees: charged once, paid once",
  );
  // The next fan in (the place bea's payment freed) sees seats 7 and 8 sold.
  const next = await gateway.joinQueue(QUEUE, await context.identityToken('zoe'));
  t.equal(next.data.status, 'ACTIVE', "bea's payment handed the place on");
  const [date] = (await booking.listSchedules(next.data.token, concert.id)).data;
  t.equal(date!.id, firstDate!.id);
  const sold = (await booking.listSeats(next.data.token, concert.id, date!.id)).data.filter((s) => s.status === 'SOLD');
  t.same(
    sold.map((s) => s.seatNo),
    [7, 8],
    'seats 7 and 8 of the first date are sold',
  );
  await gateway.leaveQueue(QUEUE, next.data.token);

  await page.locator('.actions').getByRole('button', { name: 'My tickets' }).click();
  await page.getByRole('heading', { name: 'My tickets' }).waitFor();
  const [paid] = (await booking.listPayments(identity)).data;
  const seatLines = page.locator(`[data-payment="${paid!.paymentId}"] .payment__seats li`);
  await seatLines.first().waitFor();
  t.match(await seatLines.allTextContents(), [DATE_LINE(7), DATE_LINE(8)], 'the tickets, each with its date');
  t.same(watch.problems, [], 'no console errors, no failed requests');

  // Later, bea buys a seat of a date that starts within the refund cut-off (through the API).
  soonDate = await db.schedule.create({
    data: {
      concertId: concert.id,
      startsAt: new Date(Date.now() + 12 * HOUR_MS),
      seats: { create: [{ seatNo: 1, price: 50_000 }] },
    },
  });
  const again = await gateway.joinQueue(QUEUE, identity);
  t.equal(again.data.status, 'ACTIVE', 'bea is in again');
  const soonHold = await booking.holdSeats(again.data.token, concert.id, soonDate.id, { seatNo: 1 });
  await booking.chargePoints(again.data.token, 50_000);
  const soonPayment = await booking.payReservations(again.data.token, { reservationId: soonHold.data.reservationId });

  // In a new tab (nothing remembered but what the APIs say), My tickets has both payments.
  const { page: tab, watch: tabWatch } = await openPage(390);
  await signIn(tab, 'bea');
  await tab.getByRole('button', { name: 'My tickets' }).click();
  const soonItem = tab.locator(`[data-payment="${soonPayment.data.paymentId}"]`);
  const paidItem = tab.locator(`[data-payment="${paid!.paymentId}"]`);
  await soonItem.getByText('Refunds have closed').waitFor();
  t.equal(await soonItem.getByRole('button', { name: 'Refund' }).count(), 0, 'no refund within the cut-off');
  t.match(await soonItem.locator('.payment__seats li').textContent(), DATE_LINE(1), 'its date, from the API');
  t.match(await paidItem.locator('.payment__seats li').allTextContents(), [DATE_LINE(7), DATE_LINE(8)]);

  await paidItem.getByRole('button', { name: 'Refund' }).click();
  await paidItem.getByRole('button', { name: 'Confirm refund of 300,000 pts' }).click();
  await tab.getByText('Refunded 300,000 pts. Your balance is 300,000 pts.').waitFor();
  await paidItem.locator('.badge', { hasText: 'Refunded' }).waitFor();
  // The history is read again after the refund, on its own.
  const latest = tab.locator('.table tbody tr').first();
  await latest.getByText('Refunded').waitFor();
  t.same(
    (await latest.locator('td').allTextContents()).slice(1),
    ['Refunded', '+300,000 pts', '300,000 pts'],
    'the points history shows the refund',
  );
  t.same(
    (await booking.listTransactions(identity)).data.map((entry) => [entry.type, entry.amount]),
    [
      ['REFUND', 300_000],
      ['USE', 50_000],
      ['CHARGE', 50_000],
      ['USE', 300_000],
      ['CHARGE', 300_000],
    ],
    "and the server's ledger: one REFUND row",
  );
  t.same(await seatStatuses(firstDate!.id, [7, 8]), ['AVAILABLE', 'AVAILABLE'], 'seats 7 and 8 are for sale again');
  await screenshots(tab, 'tickets');
  t.same(tabWatch.problems, [], 'new tab: no console errors, no failed requests');
});

t.test('an operator signs in and pauses with the keyboard alone; the fan sees it; sales per date', async (t) => {
  const { page: operator, watch: operatorWatch } = await openPage(1280);
  await operator.goto(`${site}/console`);
  await operator.getByRole('heading', { name: 'Sign in' }).waitFor();
  t.equal(new URL(operator.url()).pathname, '/console/', '/console leads to the console');
  await screenshots(operator, 'console-sign-in');
  await operator.getByLabel('Admin key').fill('not-the-key-at-all');
  await operator.getByRole('button', { name: 'Sign in' }).click();
  await operator.getByText('That admin key is not right.').waitFor();
  t.pass('a wrong key is refused in words');
  const refused = operatorWatch.problems
    .splice(0)
    .filter((problem) => !/HTTP 401: GET .*\/admin\/queues$|status of 401/.test(problem));
  t.same(refused, [], 'the only error answer so far is the expected 401');

  // From here on, the keyboard alone: Tab to the key, type it, Enter.
  await operator.reload();
  await operator.getByRole('heading', { name: 'Sign in' }).waitFor();
  await tabTo(t, operator, 'Admin key');
  await operator.keyboard.type(TEST_ADMIN_KEY);
  await operator.keyboard.press('Enter');
  const card = operator.locator(`[data-queue="${QUEUE}"]`);
  await card.waitFor();
  t.equal(
    await operator.evaluate<string>('JSON.stringify({ session: sessionStorage.length, local: localStorage.length })'),
    JSON.stringify({ session: 1, local: 0 }),
    'the admin key is kept in session storage only',
  );

  // yuri holds the only place (a turn of TURN_SECONDS from now); carl waits behind in the browser.
  const { page: fan, watch: fanWatch } = await openPage(390);
  await signIn(fan, 'carl');
  t.equal((await gateway.joinQueue(QUEUE, await context.identityToken('yuri'))).data.status, 'ACTIVE');
  await fan.getByRole('button', { name: 'Join the line' }).click();
  await fan.getByRole('heading', { name: 'You are in line' }).waitFor();
  t.equal(await position(fan).textContent(), '1', 'carl waits first in line');
  await card.getByText('1 / 1').waitFor();
  t.pass('the card shows active / maxActive');

  // Sales per date, as booking counts them: the console's table says the same.
  const sales = (await booking.admin(TEST_ADMIN_KEY).listScheduleSales(concert.id)).data;
  t.same(
    sales.slice(0, 2).map((date) => [date.scheduleId, date.soldSeats, date.heldSeats, date.availableSeats]),
    [
      [soonDate!.id, 1, 0, 0],
      [firstDate!.id, 0, 1, 49],
    ],
    "booking: the soon date sold out, the first one's seats refunded and one held",
  );
  const shown = async () => {
    const rows = await card.locator('.sales tbody tr').all();
    return Promise.all(
      rows.map(async (row) => [
        await row.getAttribute('data-schedule'),
        ...(await row.locator('td').allTextContents()),
      ]),
    );
  };
  const expected = sales.map((date) => [
    date.scheduleId,
    String(date.soldSeats),
    String(date.heldSeats),
    `${date.availableSeats} of ${date.totalSeats}`,
  ]);
  await until(async () => JSON.stringify(await shown()) === JSON.stringify(expected), 'the sales table', 30_000);
  t.pass('the console shows seats sold, held and left per date');

  // Pause with the keyboard: from the page's heading (focused since signing in), Tab to it, Enter.
  await tabTo(t, operator, 'Pause admissions');
  await operator.keyboard.press('Enter');
  await card.getByText('Admissions paused.').waitFor();
  await card.locator('.badge', { hasText: 'Paused' }).waitFor();
  t.pass('paused with the keyboard alone');
  await fan.getByText('The line is paused by the organiser').waitFor({ timeout: PLACE_UPDATE_MS });
  t.pass("the waiting fan's page says the line is paused");
  await screenshots(fan, 'waiting-paused');

  await card.getByRole('button', { name: 'Resume admissions' }).click();
  await card.locator('.badge', { hasText: 'Open' }).waitFor();
  await screenshots(operator, 'console');
  await fan.getByText('The line is paused by the organiser').waitFor({ state: 'detached', timeout: PLACE_UPDATE_MS });
  t.pass('and that it moves again once resumed');

  // Two places instead of one: carl is admitted at the next tick.
  await card.locator('summary', { hasText: 'Settings' }).click();
  await card.getByLabel('Most fans booking at once').fill('2');
  await card.getByRole('button', { name: 'Save settings' }).click();
  await card.getByText('Settings saved.').waitFor();
  t.equal((await admin.getQueue(QUEUE)).data.maxActive, 2, 'the setting is stored');
  await fan.getByRole('heading', { name: 'It’s your turn' }).waitFor({ timeout: PLACE_UPDATE_MS });
  t.pass('carl is admitted into the new place');

  await card.locator('summary', { hasText: 'Opening time' }).click();
  await card.getByLabel('Opens at (your local time)').fill('2030-06-01T18:30');
  await card.getByRole('button', { name: 'Set opening time' }).click();
  await card.getByText(/^Opening set to/).waitFor();
  // The durable settings (what the admin API stores); the overview's `opensAt` is the live lobby's.
  const stored = () => db.queue.findUniqueOrThrow({ where: { id: QUEUE } });
  t.equal(
    (await stored()).opensAt?.toISOString(),
    await operator.evaluate<string>("new Date('2030-06-01T18:30').toISOString()"),
    'the opening time is stored, from the local time the operator typed',
  );
  await card.getByRole('button', { name: 'Clear opening time' }).click();
  await card.getByText('Opening time cleared.').waitFor();
  t.equal((await stored()).opensAt, null, 'and cleared');

  await card.locator('summary', { hasText: 'Revoke a user' }).click();
  await card.getByLabel('User id').fill('yuri');
  await card.getByRole('button', { name: 'Revoke their place' }).click();
  await card.getByText('“yuri” no longer has a place in this line.').waitFor();
  const yuri = await gateway.joinQueue(QUEUE, await context.identityToken('yuri'));
  t.equal(yuri.status, 201, "yuri's old token is gone: joining again gives a new place");

  t.same(fanWatch.problems, [], 'fan page: no console errors, no failed requests');
  t.same(operatorWatch.problems, [], 'console: no console errors, no failed requests');
});

t.test('a lobby: the countdown, then a place in the drawn order, and the draw checks out', async (t) => {
  const LOBBY = 'lobby-sessions';
  const TITLE = 'The Lobby Sessions';
  await db.concert.create({
    data: {
      title: TITLE,
      queue: { create: { id: LOBBY, maxActive: 1, activeTtlSeconds: 600, abandonAfterSeconds: 300 } },
      // Seats to sell: a concert with none is sold out, and nobody is admitted to it.
      schedules: {
        create: {
          startsAt: new Date(Date.now() + 40 * 24 * HOUR_MS),
          seats: { create: Array.from({ length: 10 }, (_, i) => ({ seatNo: i + 1, price: 80_000 })) },
        },
      },
    },
  });
  // olga was admitted before the operator announced an opening: her turn keeps the only place.
  await admin.putQueue(LOBBY, { maxActive: 1, activeTtlSeconds: 600 });
  const olga = await gateway.joinQueue(LOBBY, await context.identityToken('olga'));
  t.equal(olga.data.status, 'ACTIVE');
  await admin.putQueue(LOBBY, { opensAt: new Date(Date.now() + 10 * 60_000).toISOString() });
  const { shuffleCommitment: commitment } = (await gateway.getQueue(LOBBY)).data;
  t.match(commitment, /^[0-9a-f]{64}$/, 'the draw is committed to');

  const { page, watch } = await openPage(390);
  await signIn(page, 'lena');
  const card = cardOf(page, TITLE);
  await card.getByText(/^Opens .* waiting in the lobby$/).waitFor();
  await card.getByRole('button', { name: 'Join the line' }).click();
  await page.getByRole('heading', { name: 'You are in the lobby' }).waitFor();
  t.match(await page.locator('#countdown').textContent(), /^(10|9):\d\d$/, 'the countdown to the opening shows');
  t.equal(await page.locator('.hash').textContent(), commitment, 'and the commitment of the draw');
  await screenshots(page, 'lobby');

  // The operator brings the opening forward to a few seconds from now.
  await admin.putQueue(LOBBY, { opensAt: new Date(Date.now() + 3000).toISOString() });
  await page.getByRole('heading', { name: 'You are in line' }).waitFor({ timeout: PLACE_UPDATE_MS });
  await page.locator('#position', { hasText: /^1$/ }).waitFor();
  t.pass('after the opening lena has a place (olga still books)');

  const { shuffleSeed: seed } = (await gateway.getQueue(LOBBY)).data;
  t.equal(createHash('sha256').update(Buffer.from(seed!, 'hex')).digest('hex'), commitment, 'the seed is honest');
  const drawValue = createHmac('sha256', Buffer.from(seed!, 'hex')).update('lena').digest('hex');
  const checkOn = async (where: Page | Locator, what: string) => {
    await where.locator('summary', { hasText: 'Verify the draw' }).click();
    await where.getByText('✓ The seed matches the commitment made before the opening.').waitFor();
    t.equal(await where.locator('.verify__value').textContent(), drawValue, `${what}: lena's draw value`);
  };
  await checkOn(page, 'waiting');

  // Anyone signed in can check it from the concert's card.
  const { page: other, watch: otherWatch } = await openPage(390);
  await signIn(other, 'lena');
  await cardOf(other, TITLE).locator('summary', { hasText: 'Verify the draw' }).waitFor();
  await checkOn(cardOf(other, TITLE), 'the card');

  // And an admitted fan, from the turn's screen.
  await gateway.leaveQueue(LOBBY, olga.data.token);
  await page.getByRole('heading', { name: 'It’s your turn' }).waitFor({ timeout: PLACE_UPDATE_MS });
  await checkOn(page, 'the turn');

  t.same(watch.problems, [], 'no console errors, no failed requests');
  t.same(otherWatch.problems, [], 'second tab: no console errors, no failed requests');
});

/**
 * The fans' site and the operators' console in a real browser (Debian's Chromium), against the
 * real stack as processes: gateway, booking, worker and the web app, the web on its own origin so
 * every API call crosses origins (CORS). Screenshots of each screen at 390 and 1280 px go to
 * e2e/output/web/ (git-ignored).
 */
import t from 'tap';
import type { Page } from 'playwright-core';
import { createBookingClient, createGatewayClient } from '@concert/contract';
import { seedDemoData, type Db } from '@concert/db';
import { setupTestContext, startStack, TEST_ADMIN_KEY } from '@concert/testing';
import {
  buildSite,
  eventStreamTolerance,
  launchChromium,
  newLocalContext,
  screenshots,
  watchPage,
  type PageWatch,
} from './browser.js';

t.setTimeout(240_000);

const QUEUE = 'demo-tour';
// With a turn of 60 s the server paces a waiter's polls at 6–12 s (ETA / 10); the stream, where
// the gateway offers it, is immediate. Waits below leave room for the slower of the two.
const TURN_SECONDS = 60;
const PLACE_UPDATE_MS = 30_000;

const context = await setupTestContext(t, { database: true, env: { ADMIT_INTERVAL_MS: 500, LOG_LEVEL: 'warn' } });
await seedDemoData(context.db as Db);
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

const { absent: streamAbsent, tolerated } = await eventStreamTolerance(stack.gateways[0]!);

const browser = await launchChromium();
t.teardown(() => browser.close());

async function openPage(width: number): Promise<{ page: Page; watch: PageWatch }> {
  const page = await (await newLocalContext(browser, width)).newPage();
  const watch = await watchPage(page, tolerated);
  return { page, watch };
}

async function signIn(page: Page, userId: string) {
  await page.goto(site);
  await page.getByLabel('Your name (user id)').fill(userId);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Concerts on sale' }).waitFor();
}

const position = (page: Page) => page.locator('#position');

t.test('a fan waits behind others, sees the place move, is admitted, holds, charges and pays', async (t) => {
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

  await page.getByRole('button', { name: 'Join the line' }).click();
  await page.getByRole('heading', { name: 'You are in line' }).waitFor();
  t.equal(await position(page).textContent(), '2', 'bea is second in line');

  await watch.resetShifts();
  await gateway.leaveQueue(QUEUE, ahead.data.token);
  await page.locator('#position', { hasText: /^1$/ }).waitFor({ timeout: PLACE_UPDATE_MS });
  t.pass('the place moved to 1 without a reload once xena left');
  t.match(await page.locator('#position + dd').textContent(), /you are next/);
  t.equal(await watch.layoutShift(), 0, 'the place changed without moving anything on the page');
  await screenshots(page, 'waiting');
  t.match(
    await page.locator('.live-mode').textContent(),
    streamAbsent ? /Checking for updates/ : /Updates live/,
    streamAbsent ? 'no event stream on this gateway: paced polling' : 'over the event stream',
  );

  await gateway.leaveQueue(QUEUE, first.data.token);
  await page.getByRole('heading', { name: 'It’s your turn' }).waitFor({ timeout: PLACE_UPDATE_MS });
  t.pass('admitted once alex left');
  await page.locator('[data-seat="7"]').waitFor();
  t.match(await page.locator('#turn-left').textContent(), /^\d:\d\d$/, 'the turn counts down');

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
  const [concert] = (await booking.listConcerts()).data;
  const [date] = (await booking.listSchedules(next.data.token, concert!.id)).data;
  const sold = (await booking.listSeats(next.data.token, concert!.id, date!.id)).data.filter(
    (s) => s.status === 'SOLD',
  );
  t.same(
    sold.map((s) => s.seatNo),
    [7, 8],
    'seats 7 and 8 of the first date are sold',
  );
  await gateway.leaveQueue(QUEUE, next.data.token);
  t.same(watch.problems, [], 'no console errors, no failed requests');
});

t.test('an operator pauses the line, a waiting fan sees it paused, then resumed; settings and revoking', async (t) => {
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
  await operator.getByLabel('Admin key').fill(TEST_ADMIN_KEY);
  await operator.getByRole('button', { name: 'Sign in' }).click();
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
  await screenshots(operator, 'console');

  await card.getByRole('button', { name: 'Pause admissions' }).click();
  await card.getByText('Admissions paused.').waitFor();
  await card.locator('.badge', { hasText: 'Paused' }).waitFor();
  await fan.getByText('The line is paused by the organiser').waitFor({ timeout: PLACE_UPDATE_MS });
  t.pass("the waiting fan's page says the line is paused");
  await screenshots(fan, 'waiting-paused');

  await card.getByRole('button', { name: 'Resume admissions' }).click();
  await card.locator('.badge', { hasText: 'Open' }).waitFor();
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
  const stored = () => (context.db as Db).queue.findUniqueOrThrow({ where: { id: QUEUE } });
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

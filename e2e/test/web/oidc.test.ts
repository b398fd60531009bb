/**
 * Signing in with the promoter's OpenID provider: authorization code + PKCE from the browser (a
 * public client), against a real OpenID Connect provider (oidc-provider, with its development
 * login pages) that the APIs trust through its JWKS. No development login on this stack.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { Server } from 'node:http';
import t from 'tap';
import Provider from 'oidc-provider';
import { seedDemoData, type Db } from '@concert/db';
import { createGatewayClient } from '@concert/contract';
import { freePort, setupTestContext, startStack, TEST_ADMIN_KEY } from '@concert/testing';
import { buildSite, launchChromium, newLocalContext, screenshots, watchPage } from './browser.js';

t.setTimeout(180_000);

const CLIENT_ID = 'concert-site';
const providerPort = await freePort();
const issuer = `http://127.0.0.1:${providerPort}/`;

const context = await setupTestContext(t, { database: true, env: { LOG_LEVEL: 'warn' } });
await seedDemoData(context.db as Db);
const siteDir = t.testdir();
buildSite(siteDir);
const stack = await startStack({
  env: {
    ...context.env,
    // The promoter's provider instead of the tests' own key: the APIs fetch its JWKS.
    IDENTITY_PUBLIC_KEY: '',
    IDENTITY_JWKS_URL: `${issuer}jwks`,
    IDENTITY_ISSUER: issuer,
    IDENTITY_AUDIENCE: CLIENT_ID,
    OIDC_ISSUER: issuer,
    OIDC_CLIENT_ID: CLIENT_ID,
    OIDC_SCOPE: 'openid profile',
    WEB_STATIC_DIR: siteDir,
  },
  web: true,
});
t.teardown(() => stack.stop());
const site = stack.web!;

// The provider knows the site's address only now (startStack picked its port).
const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
const provider = new Provider(issuer, {
  clients: [
    {
      client_id: CLIENT_ID,
      token_endpoint_auth_method: 'none',
      redirect_uris: [`${site}/`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
  ],
  jwks: { keys: [{ ...signingKey, kid: 'test-rsa', alg: 'RS256', use: 'sig' }] },
  cookies: { keys: ['a-test-cookie-signing-key-0123456789'] },
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
});
const server: Server = provider.listen(providerPort);
t.teardown(() => new Promise((resolve) => server.close(resolve)));

t.test("a fan signs in at the promoter's provider (code + PKCE) and joins the line with its ID token", async (t) => {
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const page = await (await newLocalContext(browser, 390)).newPage();
  // What our site and the APIs answer is judged; the provider's own development pages are not.
  const ours = [site, ...stack.gateways, ...stack.bookings].map((url) => new URL(url).origin);
  const watch = await watchPage(page, (url) => !ours.some((origin) => url.startsWith(origin)));

  await page.goto(site);
  await page.getByRole('heading', { name: 'Sign in to get tickets' }).waitFor();
  t.equal(await page.getByText('Development sign-in').count(), 0, 'no development login on this stack');
  await screenshots(page, 'sign-in-oidc');
  await page.getByRole('button', { name: 'Sign in with your promoter account' }).click();

  await page.waitForURL((url) => url.href.startsWith(issuer));
  await page.locator('input[name="login"]').fill('olivia');
  await page.locator('input[name="password"]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();

  await page.getByRole('heading', { name: 'Concerts on sale' }).waitFor();
  t.equal(new URL(page.url()).search, '', 'the code and state are gone from the address bar');
  t.match(await page.locator('.nav__user').textContent(), /olivia/, "signed in as the provider's subject");
  const session = JSON.parse(
    (await page.evaluate<string | null>("sessionStorage.getItem('concert.fan.session')")) ?? '{}',
  ) as { identityToken?: string; via?: string };
  t.equal(session.via, 'oidc');
  const claims = JSON.parse(Buffer.from(session.identityToken!.split('.')[1]!, 'base64url').toString()) as Record<
    string,
    unknown
  >;
  t.match(claims, { iss: issuer, aud: CLIENT_ID, sub: 'olivia' }, 'the ID token is what the APIs get');

  // Paused: olivia waits, then leaves the line from the page.
  const admin = createGatewayClient(stack.gateways[0]!).admin(TEST_ADMIN_KEY);
  await admin.putQueue('demo-tour', { paused: true });
  await page.getByRole('button', { name: 'Join the line' }).click();
  await page.getByRole('heading', { name: 'You are in line' }).waitFor();
  await page.getByText('The line is paused by the organiser').waitFor();
  t.equal((await admin.getQueue('demo-tour')).data.waiting, 1, 'olivia waits');
  await page.getByRole('button', { name: 'Leave the line' }).click();
  await page.getByText('You left the line.').waitFor();
  t.equal((await admin.getQueue('demo-tour')).data.waiting, 0, '"Leave the line" gave the place up');

  await admin.putQueue('demo-tour', { paused: false });
  await page.getByRole('button', { name: 'Join the line' }).click();
  await page.getByRole('heading', { name: 'It’s your turn' }).waitFor();
  t.pass("the gateway trusted the provider's token: olivia is in (an empty line admits at once)");
  await page.locator('#balance', { hasText: '0 pts' }).waitFor();
  t.pass('and booking too');
  await page.getByRole('button', { name: 'Give up my turn' }).click();
  await page.getByText('You left the line.').waitFor();
  t.equal((await admin.getQueue('demo-tour')).data.active, 0, 'giving up the turn frees the place');
  t.same(watch.problems, [], 'no console errors, no failed requests');
});

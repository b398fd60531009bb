import t from 'tap';
import { seedDemoData, type Db } from '@concert/db';
import { ApiError, createBookingClient, createGatewayClient } from '@concert/contract';
import { createQueueTokenSigner, signingKeyFrom } from '@concert/tokens';
import { generateTestKeyPair, setupTestContext, startStack, TEST_ADMIN_KEY } from '@concert/testing';

t.test("booking checks queue tokens against a running gateway's JWKS (QUEUE_JWKS_URL)", async (t) => {
  const context = await setupTestContext(t, { database: true, env: { LOG_LEVEL: 'warn' } });
  await seedDemoData(context.db as Db);
  // The gateway signs with a key of its own, not the one TOKEN_PUBLIC_KEY in the shared settings
  // names: booking can only accept its tokens by reading them off the gateway's JWKS.
  const gatewayKey = generateTestKeyPair();
  const stack = await startStack({
    env: context.env,
    appEnv: { gateway: { TOKEN_PRIVATE_KEY: gatewayKey.privateKeyPem } },
  });
  t.teardown(() => stack.stop());
  const [gatewayUrl] = stack.gateways;
  const bookingApp = stack.apps.find((app) => app.name === 'booking')!;
  await stack.restart(bookingApp, {
    env: { TOKEN_PUBLIC_KEY: '', QUEUE_JWKS_URL: `${gatewayUrl}/.well-known/jwks.json` },
  });
  const gateway = createGatewayClient(gatewayUrl!);
  const booking = createBookingClient(bookingApp.url);

  const [concert] = (await booking.listConcerts()).data;
  await gateway.admin(TEST_ADMIN_KEY).putQueue(concert!.queueId, { maxActive: 10 });
  const joined = await gateway.joinQueue(concert!.queueId, await context.identityToken('ann'));
  t.equal(joined.data.status, 'ACTIVE', 'admitted at once');
  const { token } = joined.data;

  const dates = await booking.listSchedules(token, concert!.id);
  t.equal(dates.status, 200, "the gateway's queue token is accepted on an active route");
  t.ok(dates.data.length > 0, 'with the dates');
  t.match((await booking.getBalance(token)).data, { userId: 'ann', balance: 0 }, 'and on an account route');

  // A token with the gateway's key id signed by another key: the JWKS's key decides, not the header.
  const { kid } = signingKeyFrom(gatewayKey.privateKeyPem, 'gateway key');
  const impostor = signingKeyFrom(generateTestKeyPair().privateKeyPem, 'impostor key');
  const forged = createQueueTokenSigner({ ...impostor, kid }, { ttlSeconds: 600 }).sign({
    userId: 'ann',
    queueId: concert!.queueId,
    tokenId: '1',
    issuedAt: Math.floor(Date.now() / 1000),
  });
  const refused = await booking.listSchedules(forged, concert!.id).catch((error: ApiError) => error);
  t.ok(refused instanceof ApiError, 'a forged token is refused');
  t.match(refused, { status: 401, body: { code: 'TOKEN_INVALID' } });
});

import type { Test } from 'tap';
import type { Config } from '@concert/config';
import { createServer } from '@concert/http';
import { createGatewayClient } from '@concert/contract';
import { setupTestContext, TEST_ADMIN_KEY } from '@concert/testing';
import gateway from '../src/app.js';

export { TEST_ADMIN_KEY };

/**
 * A gateway on this file's own database and Redis prefix, closed (and its data removed) after
 * the test, with helpers to act as a signed-in fan.
 */
export async function buildGateway(t: Test, env: Record<string, string | number> = {}) {
  const context = await setupTestContext(t, { database: true, env });
  const app = createServer(context.config, 'gateway', process.env.TEST_LOG ? {} : { logger: false });
  await app.register(gateway, { config: context.config });
  await app.ready();
  t.teardown(() => app.close());

  /** Headers of a fan signed in as `userId` (an identity token from the tests' identity provider). */
  const asUser = async (userId: string) => bearer(await context.identityToken(userId));
  /** `userId` joins `queueId`. */
  const join = async (queueId: string, userId: string) =>
    app.inject({ method: 'POST', url: `/queues/${queueId}/tokens`, headers: await asUser(userId) });
  /**
   * The same app over HTTP, through the typed client. A backlog for thousands of connections
   * opened at once (the rush tests): past Node's default of 511 a busy machine resets some.
   */
  const client = async () => createGatewayClient(await app.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }));

  return { app, ...context, asUser, join, client };
}

/** Another gateway instance on the same database and Redis (as in production, behind a balancer). */
export async function startGateway(t: Test, config: Config) {
  const app = createServer(config, 'gateway', process.env.TEST_LOG ? {} : { logger: false });
  await app.register(gateway, { config });
  await app.ready();
  t.teardown(() => app.close());
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url, client: createGatewayClient(url) };
}

export const admin = { 'x-admin-key': TEST_ADMIN_KEY };
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

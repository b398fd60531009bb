import type { Test } from 'tap';
import { createServer } from '@concert/http';
import { setupTestContext, TEST_ADMIN_KEY } from '@concert/testing';
import gateway from '../src/app.js';

export { TEST_ADMIN_KEY };

/** A gateway on this file's own Redis prefix, closed (and its keys removed) after the test. */
export async function buildGateway(t: Test, env: Record<string, string | number> = {}) {
  const context = await setupTestContext(t, { env });
  const app = createServer(context.config, 'gateway', { logger: false });
  await app.register(gateway, { config: context.config });
  await app.ready();
  t.teardown(() => app.close());
  return { app, ...context };
}

export const admin = { 'x-admin-key': TEST_ADMIN_KEY };
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

import type { Test } from 'tap';
import { createServer } from '@concert/http';
import { createTokenIssuer, setupTestContext, type TestContext } from '@concert/testing';
import type { Db, Sql } from '@concert/db';
import worker from '../src/app.js';

const FAST_TICKS = { ADMIT_INTERVAL_MS: 50, RELEASE_INTERVAL_MS: 200, SWEEP_INTERVAL_MS: 1000 };

/** Starts one worker instance on the given context (several may share one). */
export async function startWorker(t: Test, context: TestContext) {
  const app = createServer(context.config, 'worker', { logger: false });
  await app.register(worker, { config: context.config });
  await app.ready();
  t.teardown(() => app.close());
  return app;
}

/** A context with its own database and Redis prefix, fast ticks, and a token issuer. */
export async function workerContext(t: Test, env: Record<string, string | number> = {}) {
  const context = await setupTestContext(t, { database: true, env: { ...FAST_TICKS, ...env } });
  const sql = context.sql as Sql;
  const issuer = await createTokenIssuer(t, context.config, { sql });
  return { ...context, db: context.db as Db, sql, issuer, waitingRoom: issuer.waitingRoom };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it is true or `timeoutMs` passes. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 5000, everyMs = 25) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(everyMs);
  }
  return false;
}

/** Reads a counter's total (all label sets) from an app's Prometheus registry. */
export async function counterTotal(app: { metrics: { getSingleMetric(name: string): unknown } }, name: string) {
  const metric = app.metrics.getSingleMetric(name) as { get(): Promise<{ values: { value: number }[] }> } | undefined;
  if (!metric) return 0;
  return (await metric.get()).values.reduce((sum, v) => sum + v.value, 0);
}

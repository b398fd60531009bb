import { spawn } from 'node:child_process';
import t from 'tap';
import { freePort, setupTestContext } from '@concert/testing';

/** Starts the worker's entry point with `env`; resolves with its exit code, or 'ready' once /health/ready answers 200. */
async function bootWorker(t: { teardown(fn: () => unknown): void }, env: Record<string, string>) {
  const port = await freePort();
  const child = spawn(process.execPath, ['--conditions=@concert/source', '--import=tsx', 'apps/worker/src/main.ts'], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', HOST: '127.0.0.1', WORKER_PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  t.teardown(() => child.kill('SIGTERM'));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const state = await Promise.race([
      exited.then((code) => ({ code })),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 100)),
    ]);
    if (state) return { outcome: state.code, stderr };
    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { outcome: 'ready' as const, stderr, port };
  }
  return { outcome: 'timeout' as const, stderr };
}

t.test('the worker needs the admin key for its jobs board, and says so in one line', async (t) => {
  const { outcome, stderr } = await bootWorker(t, {});
  t.equal(outcome, 1, 'exit 1');
  t.same(stderr.trim().split('\n'), [
    'Invalid configuration:',
    '  ADMIN_API_KEY (or ADMIN_API_KEY_FILE) must be set: the jobs board at /admin/jobs is behind it (or set JOBS_BOARD=false)',
  ]);
});

t.test('with JOBS_BOARD=false it runs without the admin key, and serves no board', async (t) => {
  const context = await setupTestContext(t, { database: true });
  const { ADMIN_API_KEY: _key, ...env } = context.env;
  const started = await bootWorker(t, { ...env, JOBS_BOARD: 'false' });
  t.equal(started.outcome, 'ready', started.stderr);
  const board = await fetch(`http://127.0.0.1:${started.port}/admin/jobs`);
  t.equal(board.status, 404);
  t.equal(((await board.json()) as { code: string }).code, 'ROUTE_NOT_FOUND');
});

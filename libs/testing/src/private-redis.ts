import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TapLike } from './context.js';
import { freePort } from './stack.js';

/** Whether `redis-server` is installed (fault tests that need their own server skip without it). */
export const hasRedisServer = (() => spawnSync('redis-server', ['--version']).status === 0)();

/** Whether the server answers PING (with PONG; or with anything at all, e.g. `-LOADING`, when `anyReply`). */
const answers = (port: number, anyReply = false) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.write('PING\r\n');
    });
    socket.once('data', (data) => {
      socket.destroy();
      resolve(anyReply || data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.setTimeout(500, () => {
      socket.destroy();
      resolve(false);
    });
  });

export type PrivateRedis = {
  url: string;
  port: number;
  /**
   * Starts (again) on the same port and directory: with `appendonly`, the data comes back;
   * `{ appendonly: false }` restarts it without its append-only file (empty). Resolves once it
   * answers PING, or, with `untilLoaded: false`, once it answers at all (maybe `LOADING`).
   */
  start(opts?: { appendonly?: boolean; untilLoaded?: boolean }): Promise<void>;
  /** `kill -9`: no shutdown, no save. */
  kill(): Promise<void>;
  /** SIGSTOP: connections stay open and nothing answers (a hung server); `resume()` is SIGCONT. */
  pause(): void;
  resume(): void;
};

/**
 * A `redis-server` of the test's own on a spare port (never the machine's shared one), with or
 * without its append-only file, stopped and its directory removed when the test ends.
 */
export async function startPrivateRedis(
  t: TapLike,
  opts: {
    appendonly?: boolean;
    /** More `redis-server` arguments, e.g. `['--replicaof', host, port]`. */
    args?: string[];
  } = {},
): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'private-redis-'));
  let child: ChildProcess | undefined;
  const argsWith = (appendonly: boolean) => [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    appendonly ? 'yes' : 'no',
    '--appendfsync',
    'everysec',
    '--dir',
    dir,
    '--pidfile',
    join(dir, 'redis.pid'),
    ...(opts.args ?? []),
  ];

  const redis: PrivateRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start({ appendonly = opts.appendonly ?? false, untilLoaded = true } = {}) {
      child = spawn('redis-server', argsWith(appendonly), { stdio: 'ignore' });
      const up = () => answers(port, !untilLoaded);
      for (let i = 0; i < 200 && !(await up()); i++) await new Promise((resolve) => setTimeout(resolve, 25));
      if (!(await up())) throw new Error(`private redis-server on ${port} did not start`);
    },
    async kill() {
      const running = child;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGKILL');
      await exited;
    },
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
  };
  t.teardown(async () => {
    await redis.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  // Should this process die without its teardown (a test timing out is killed), a watchdog kills
  // the server (woken first, if paused) and removes its directory, so nothing outlives the test.
  const pidFile = `'${join(dir, 'redis.pid')}'`;
  const watchdog = spawn(
    '/bin/sh',
    [
      '-c',
      `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done
       if [ -f ${pidFile} ]; then kill -CONT $(cat ${pidFile}); kill -9 $(cat ${pidFile}); fi
       rm -rf '${dir}'`,
    ],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();
  t.teardown(() => watchdog.kill());
  await redis.start();
  return redis;
}

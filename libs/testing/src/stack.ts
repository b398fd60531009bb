import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const WORKSPACE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const APP_NAMES = ['gateway', 'booking', 'worker'] as const;
export type AppName = (typeof APP_NAMES)[number] | 'web';

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilReady(url: string, child: ChildProcess, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/health/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} was not ready within ${timeoutMs} ms`);
}

export type RunningApp = { name: AppName; url: string; process: ChildProcess; output: string[] };

/** An app process that ended without being told to (a crash): which, how, and its last output. */
export type UnexpectedExit = { name: AppName; url: string; code: number | null; signal: string | null; output: string };

/** Where each app's entry point is, from source or built. */
const entryOf = (name: AppName, fromDist: boolean) => {
  const main = name === 'web' ? 'server/main' : 'main';
  return fromDist
    ? [`apps/${name}/dist/${main}.js`]
    : ['--conditions=@concert/source', '--import=tsx', `apps/${name}/src/${main}.ts`];
};

/**
 * Starts the apps as real processes on free ports, each with its own `main` (as `npm start`
 * does, from source through tsx, or from `dist` when `fromDist`), and waits until they are ready.
 * `instances` starts several of one app side by side. `web` adds the web app on its own origin
 * (`http://localhost:<port>`, which the APIs then allow in CORS), pointed at the first gateway and
 * booking; it serves the built site (WEB_STATIC_DIR in `env`, else apps/web/dist/public).
 * `stop()` sends SIGTERM and returns the exit codes; `kill` and `restart` act on one instance.
 */
export async function startStack(opts: {
  env: Record<string, string>;
  /** Settings of one app over `env` (e.g. `PGAPPNAME`, to tell its database sessions apart). */
  appEnv?: Partial<Record<AppName, Record<string, string>>>;
  instances?: Partial<Record<AppName, number>>;
  fromDist?: boolean;
  readyTimeoutMs?: number;
  /** Extra Node flags for every app process (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  web?: boolean;
}) {
  const apps: RunningApp[] = [];
  const portVariable: Record<AppName, string> = {
    gateway: 'GATEWAY_PORT',
    booking: 'BOOKING_PORT',
    worker: 'WORKER_PORT',
    web: 'WEB_PORT',
  };
  // Every port first: the web app must know the APIs' addresses, and the APIs the web's origin.
  const plan: { name: AppName; port: number }[] = [];
  for (const name of [...APP_NAMES, ...(opts.web ? (['web'] as const) : [])]) {
    for (let i = 0; i < (name === 'web' ? 1 : (opts.instances?.[name] ?? 1)); i++) {
      plan.push({ name, port: await freePort() });
    }
  }
  const portOf = (name: AppName) => plan.find((app) => app.name === name)!.port;
  const webOrigin = opts.web ? `http://localhost:${portOf('web')}` : undefined;
  const extraEnv = (name: AppName): Record<string, string> => {
    if (!webOrigin) return {};
    if (name === 'web') {
      return {
        PUBLIC_GATEWAY_URL: `http://127.0.0.1:${portOf('gateway')}`,
        PUBLIC_BOOKING_URL: `http://127.0.0.1:${portOf('booking')}`,
      };
    }
    return { CORS_ORIGINS: [opts.env.CORS_ORIGINS, webOrigin].filter(Boolean).join(',') };
  };

  const unexpectedExits: UnexpectedExit[] = [];
  const told = new WeakSet<ChildProcess>();
  /** Starts `name`'s process on `port` (`env` over the stack's). */
  const launch = (name: AppName, port: number, output: string[], env: Record<string, string> = {}) => {
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...entryOf(name, opts.fromDist ?? false)], {
      cwd: WORKSPACE_ROOT,
      env: {
        ...process.env,
        ...opts.env,
        ...extraEnv(name),
        ...opts.appEnv?.[name],
        ...env,
        HOST: '127.0.0.1',
        [portVariable[name]]: String(port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      const text = chunk.toString();
      output.push(text);
      if (output.length > 200) output.shift();
      // The contract check's warning (libs/http's error handler) reaches the test's own output.
      if (text.includes('UndocumentedAnswer')) process.stderr.write(`[${name}] ${text}`);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.once('exit', (code, signal) => {
      if (told.has(child)) return;
      const url = `http://127.0.0.1:${port}`;
      unexpectedExits.push({ name, url, code, signal, output: output.slice(-20).join('') });
    });
    return child;
  };
  for (const { name, port } of plan) {
    const output: string[] = [];
    apps.push({ name, url: `http://127.0.0.1:${port}`, process: launch(name, port, output), output });
  }
  /** Sends `signal` to one app's process and resolves with its exit code once it has exited. */
  const kill = (app: RunningApp, signal: NodeJS.Signals = 'SIGKILL') =>
    new Promise<number | null>((resolve) => {
      const child = app.process;
      told.add(child);
      if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
      child.once('exit', (code) => resolve(code));
      child.kill(signal);
    });
  const stop = async (): Promise<(number | null)[]> => Promise.all(apps.map((app) => kill(app, 'SIGTERM')));
  /**
   * Stops one app (SIGTERM, or `signal`) and starts it again on the same port, with `env` over
   * the stack's settings (a fresh process: empty caches); resolves once it is ready.
   */
  const restart = async (
    app: RunningApp,
    restartOpts: { signal?: NodeJS.Signals; env?: Record<string, string> } = {},
  ) => {
    await kill(app, restartOpts.signal ?? 'SIGTERM');
    app.process = launch(app.name, Number(new URL(app.url).port), app.output, restartOpts.env);
    await waitUntilReady(app.url, app.process, opts.readyTimeoutMs ?? 60_000);
  };
  try {
    await Promise.all(apps.map((app) => waitUntilReady(app.url, app.process, opts.readyTimeoutMs ?? 60_000)));
  } catch (error) {
    await stop();
    const logs = apps.map((app) => `--- ${app.name}\n${app.output.join('')}`).join('\n');
    throw new Error(`${(error as Error).message}\n${logs}`);
  }
  const urlsOf = (name: AppName) => apps.filter((app) => app.name === name).map((app) => app.url);
  return {
    apps,
    gateways: urlsOf('gateway'),
    bookings: urlsOf('booking'),
    workers: urlsOf('worker'),
    /** The web app's origin, as browsers open it (when started with `web`). */
    web: webOrigin,
    stop,
    kill,
    restart,
    /** Processes that exited without being stopped, killed or restarted through this stack. */
    unexpectedExits,
  };
}

export type Stack = Awaited<ReturnType<typeof startStack>>;

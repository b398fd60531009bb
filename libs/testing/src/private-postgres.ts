import { execFile, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TapLike } from './context.js';
import { freePort } from './stack.js';

const SERVER_USER = 'postgres';

/** The newest installed PostgreSQL's binaries (Debian's `/usr/lib/postgresql/<v>/bin`, else `pg_config`'s). */
function findBinDir(): string | undefined {
  const candidates: string[] = [];
  if (process.env.PG_BIN_DIR) candidates.push(process.env.PG_BIN_DIR);
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(debian, v, 'bin')));
  }
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (pgConfig.status === 0) candidates.push(pgConfig.stdout.trim());
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
}

/** The uid/gid of the server's user, when we are root (PostgreSQL refuses to run as root). */
function serverAccount(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync('id', [flag, SERVER_USER], { encoding: 'utf8' });
  const [uid, gid] = [id('-u'), id('-g')];
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
}

const BIN_DIR = findBinDir();
const ACCOUNT = serverAccount();

/**
 * Why a private PostgreSQL cannot be started here, or `undefined` when it can (fault tests skip
 * with this message).
 */
export const privatePostgresUnavailable: string | undefined = !BIN_DIR
  ? 'the PostgreSQL server binaries (initdb, pg_ctl) are not installed'
  : process.getuid?.() === 0 && !ACCOUNT
    ? `running as root and there is no "${SERVER_USER}" user to run PostgreSQL as`
    : undefined;

const shellQuote = (args: string[]) => args.map((arg) => `'${arg.replaceAll("'", `'\\''`)}'`).join(' ');

/** The shell command running a PostgreSQL binary, as user `postgres` when we are root. */
function commandOf(binary: string, args: string[]): [string, string[]] {
  const quoted = shellQuote([join(BIN_DIR!, binary), ...args]);
  return ACCOUNT ? ['su', [SERVER_USER, '-s', '/bin/sh', '-c', quoted]] : ['/bin/sh', ['-c', quoted]];
}

/**
 * Runs a PostgreSQL binary, as user `postgres` when we are root; rejects with its output on
 * failure. Asynchronous, so the test's clients keep measuring honestly while the server stops or starts.
 */
function run(binary: string, args: string[]) {
  const [command, commandArgs] = commandOf(binary, args);
  return new Promise<string>((resolve, reject) => {
    execFile(command, commandArgs, { encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${binary} ${args.join(' ')} failed:\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

/** The server's process and its children (backends, background workers), from /proc. */
function clusterPids(dataDir: string): number[] {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return [];
  const postmaster = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  const children = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        // "pid (comm) state ppid ...": comm may hold spaces, so read after the last ')'.
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
  return [postmaster, ...children];
}

export type PrivatePostgres = {
  /** `postgresql://postgres@127.0.0.1:<port>/postgres` (trust authentication). */
  url: string;
  port: number;
  /** Starts (again) on the same port and data directory; resolves once it accepts connections. */
  start(): Promise<void>;
  /** `pg_ctl stop`: `immediate` is a crash (no checkpoint; recovery on the next start), `fast` a clean stop. */
  stop(mode?: 'immediate' | 'fast'): Promise<void>;
  /** SIGSTOP every process of the server: connections stay open and nothing answers (a hung server). */
  pause(): void;
  /** SIGCONT: the paused server carries on. */
  resume(): void;
};

/**
 * A PostgreSQL cluster of the test's own (initdb + pg_ctl from the installed binaries, run as
 * user `postgres` when we are root) on a spare port, never the machine's shared server; stopped
 * and its directory removed when the test ends. Check `privatePostgresUnavailable` first.
 * `settings` are extra server settings (`-c name=value`), e.g. `max_connections`.
 */
export async function startPrivatePostgres(
  t: TapLike,
  opts: { settings?: Record<string, string | number> } = {},
): Promise<PrivatePostgres> {
  if (privatePostgresUnavailable) throw new Error(`no private PostgreSQL: ${privatePostgresUnavailable}`);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'private-postgres-'));
  if (ACCOUNT) chownSync(dir, ACCOUNT.uid, ACCOUNT.gid);
  const dataDir = join(dir, 'data');
  await run('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale', 'C']);
  const settings = { listen_addresses: '127.0.0.1', fsync: 'off', ...opts.settings };
  const serverOptions = [
    `-k ${dir}`,
    `-p ${port}`,
    ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`),
  ].join(' ');

  let paused = false;
  const server: PrivatePostgres = {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    async start() {
      await run('pg_ctl', [
        '-D',
        dataDir,
        '-l',
        join(dir, 'server.log'),
        '-w',
        '-t',
        '60',
        '-o',
        serverOptions,
        'start',
      ]);
    },
    async stop(mode = 'fast') {
      if (paused) server.resume();
      if (!existsSync(join(dataDir, 'postmaster.pid'))) return;
      await run('pg_ctl', ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
    },
    pause() {
      for (const pid of clusterPids(dataDir)) process.kill(pid, 'SIGSTOP');
      paused = true;
    },
    resume() {
      for (const pid of clusterPids(dataDir)) process.kill(pid, 'SIGCONT');
      paused = false;
    },
  };
  t.teardown(async () => {
    await server.stop('immediate').catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });
  // Should this process die without its teardown (a test timing out is killed), a watchdog stops
  // the server (waking it first, if paused) and removes its directory, so nothing outlives the test.
  const [stopCommand, stopArgs] = commandOf('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
  const watchdog = spawn(
    '/bin/sh',
    [
      '-c',
      `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done
       if [ -f ${shellQuote([join(dataDir, 'postmaster.pid')])} ]; then
         pm=$(head -1 ${shellQuote([join(dataDir, 'postmaster.pid')])})
         pkill -CONT -P "$pm"; kill -CONT "$pm"
         ${shellQuote([stopCommand, ...stopArgs])} >/dev/null 2>&1
       fi
       rm -rf ${shellQuote([dir])}`,
    ],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();
  t.teardown(() => watchdog.kill());
  await server.start();
  return server;
}

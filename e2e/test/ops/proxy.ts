import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@concert/testing';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const hasNginx = spawnSync('sh', ['-c', 'command -v nginx']).status === 0;

/** Where the compose proxy's services are: `host:port` of one instance each (absent: nobody listens). */
export type Upstreams = Partial<Record<'gateway' | 'booking' | 'worker' | 'web', string>>;

/** Polls `check` until it holds or `timeoutMs` have passed (a loaded machine starts things slowly). */
async function waitFor(check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/**
 * Real nginx with the compose proxy's own deploy/compose/nginx.conf (its routes, headers and
 * answers), listening on 127.0.0.1 in front of `upstreams`; stopped at teardown. Resolves with
 * its URL once it answers.
 */
export async function startComposeProxy(t: { teardown(fn: () => unknown): void }, upstreams: Upstreams) {
  const dir = mkdtempSync(join(tmpdir(), 'proxy-'));
  const port = await freePort();
  let conf = readFileSync(join(ROOT, 'deploy/compose/nginx.conf'), 'utf8').replace(
    'listen 80;',
    `listen 127.0.0.1:${port};`,
  );
  for (const name of ['gateway', 'booking', 'worker', 'web'] as const) {
    // Port 9 (discard): nothing listens there, so a route to an absent service fails fast.
    const upstream = upstreams[name] ? new URL(upstreams[name]).host : '127.0.0.1:9';
    conf = conf.replace(new RegExp(`set \\$${name} [^;]+;`), `set $${name} ${upstream};`);
  }
  writeFileSync(join(dir, 'site.conf'), conf);
  writeFileSync(
    join(dir, 'nginx.conf'),
    `user root; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log;\n` +
      `events {} http { access_log off; include ${dir}/site.conf; }\n`,
  );
  const nginx = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
  t.teardown(() => nginx.kill('SIGTERM'));
  const url = `http://127.0.0.1:${port}`;
  const answers = () =>
    fetch(`${url}/metrics`).then(
      (response) => response.status === 404,
      () => false,
    );
  if (!(await waitFor(answers, 30_000))) {
    throw new Error(`nginx did not start: ${readFileSync(join(dir, 'error.log'), 'utf8')}`);
  }
  return url;
}

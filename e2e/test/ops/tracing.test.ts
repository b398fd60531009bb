import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { seedDemoData, type Db } from '@concert/db';
import { freePort, setupTestContext, TEST_ADMIN_KEY } from '@concert/testing';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';

t.test('without OTEL_EXPORTER_OTLP_ENDPOINT the tracing module does nothing', async (t) => {
  const script =
    "const api = await import('@opentelemetry/api');" +
    'console.log(api.trace.getTracerProvider().getDelegate().constructor.name);';
  const result = spawnSync(
    process.execPath,
    [
      '--conditions=@concert/source',
      '--import=tsx',
      '--import=@concert/http/tracing',
      '--input-type=module',
      '-e',
      script,
    ],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '' } },
  );
  t.equal(result.status, 0, result.stderr);
  t.equal(result.stdout.trim(), 'NoopTracerProvider', 'no tracer provider registered');
});

t.test('with an OTLP endpoint, a request continues the caller’s trace: HTTP, Redis and PostgreSQL spans', async (t) => {
  const received: string[] = [];
  const collector = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      if (request.url === '/v1/traces') received.push(body);
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  t.teardown(() => collector.close());
  const { port: collectorPort } = collector.address() as { port: number };

  const context = await setupTestContext(t, { database: true });
  await seedDemoData(context.db as Db);
  const port = await freePort();
  const gateway = spawn(
    process.execPath,
    ['--conditions=@concert/source', '--import=tsx', '--import=@concert/http/tracing', 'apps/gateway/src/main.ts'],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        ...context.env,
        HOST: '127.0.0.1',
        GATEWAY_PORT: String(port),
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorPort}`,
        OTEL_BSP_SCHEDULE_DELAY: '200',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  gateway.stderr.on('data', (chunk) => (stderr += chunk));
  t.teardown(() => gateway.kill('SIGTERM'));
  const url = `http://127.0.0.1:${port}`;
  // Generous: on a loaded machine, compiling the app and loading OpenTelemetry take a while.
  const isReady = () =>
    fetch(`${url}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
  for (let i = 0; i < 600 && gateway.exitCode === null && !(await isReady()); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const traceparent = `00-${TRACE_ID}-b7ad6b7169203331-01`;
  const figures = await fetch(`${url}/admin/queues/demo-tour`, {
    headers: { traceparent, 'x-admin-key': TEST_ADMIN_KEY },
  });
  t.equal(figures.status, 200, stderr);

  let exported = '';
  for (
    let i = 0;
    i < 200 && !(exported.includes(TRACE_ID) && /evalsha/.test(exported) && /pg\.query/.test(exported));
    i++
  ) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    exported = received.join('\n');
  }
  const names = [...exported.matchAll(/"name":"([^"]+)","kind"/g)].map((m) => m[1]);
  t.comment(`spans: ${[...new Set(names)].join(', ')}`);
  t.match(exported, TRACE_ID, 'spans of the caller’s trace were exported');
  t.match(exported, /"service\.name".*"gateway"|gateway/, 'named after the app');
  t.ok(names.includes('GET'), 'the HTTP server span');
  t.ok(names.includes('evalsha'), 'a Redis span (a waiting-room script)');
  t.ok(
    names.some((name) => name!.startsWith('pg.query')),
    'a PostgreSQL span',
  );
  t.notMatch(exported, /\/health\/ready/, 'probes are not traced');
});

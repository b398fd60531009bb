import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import pino from 'pino';
import { loadConfig } from '@concert/config';
import { createServer, traceIdOf } from '../src/index.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

t.test('traceparent: a valid header gives its trace id, anything else none', async (t) => {
  t.equal(traceIdOf(TRACEPARENT), TRACE_ID);
  t.equal(traceIdOf(`01-${TRACE_ID}-00f067aa0ba902b7-01-more`), TRACE_ID, 'a later version may add fields');
  for (const bad of [
    undefined,
    '',
    'garbage',
    `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
    `00-${TRACE_ID}-${'0'.repeat(16)}-01`,
    `ff-${TRACE_ID}-00f067aa0ba902b7-01`,
    `00-${TRACE_ID.toUpperCase()}-00f067aa0ba902b7-01`,
    `00-${TRACE_ID}-00f067aa0ba902b7-01-extra`,
  ]) {
    t.equal(traceIdOf(bad), undefined, `refused: ${bad}`);
  }
});

t.test('one log line per request, carrying the request id and the caller’s trace id', async (t) => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const config = loadConfig({ LOG_LEVEL: 'info' });
  const app = createServer(config, 'test', { logger: undefined, loggerInstance: pino({ level: 'info' }, sink) });
  app.get('/hello/:name', async (request) => {
    request.log.info('inside the handler');
    return { hello: request.params };
  });
  await app.ready();
  t.teardown(() => app.close());

  await app.inject({ url: '/hello/ann', headers: { traceparent: TRACEPARENT, 'x-request-id': 'req-1' } });
  await app.inject({ url: '/hello/bob', headers: { traceparent: 'not-a-traceparent', 'x-request-id': 'req-2' } });
  await new Promise((resolve) => setImmediate(resolve));

  const first = lines.filter((line) => line.reqId === 'req-1');
  t.equal(first.length, 2, 'the handler’s line and one request line, nothing else');
  t.ok(
    first.every((line) => line.traceId === TRACE_ID),
    'every line of the request carries its trace id',
  );
  t.match(first[1], {
    msg: 'GET /hello/ann 200',
    method: 'GET',
    url: '/hello/ann',
    route: '/hello/:name',
    statusCode: 200,
  });
  t.match(first[1]!.msg, /^GET \/hello\/ann 200 \d+\.\dms$/);
  const second = lines.filter((line) => line.reqId === 'req-2');
  t.equal(second.length, 2);
  t.ok(
    second.every((line) => !('traceId' in line)),
    'an invalid traceparent is ignored',
  );
});

t.test('pretty mode prints each request on one line', async (t) => {
  const script = `
    import { loadConfig } from '@concert/config';
    import { createServer } from '@concert/http';
    const app = createServer(loadConfig({ LOG_PRETTY: 'true', LOG_LEVEL: 'info' }), 'pretty');
    app.get('/x', async () => ({ ok: true }));
    await app.inject({ url: '/x', headers: { traceparent: '${TRACEPARENT}' } });
    await app.close();
  `;
  const result = spawnSync(
    process.execPath,
    ['--conditions=@concert/source', '--import=tsx', '--input-type=module', '-e', script],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  const requestLines = result.stdout.split('\n').filter((line) => line.includes('GET /x'));
  t.equal(requestLines.length, 1, `one line: ${result.stdout}${result.stderr}`);
  t.match(requestLines[0], /INFO.*pretty: GET \/x 200 [\d.]+ms/);
  t.match(requestLines[0], TRACE_ID, 'with the trace id');
  t.notMatch(result.stdout, /incoming request|request completed/, "Fastify's own two lines are gone");
});

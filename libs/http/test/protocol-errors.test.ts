import { createServer as createHttpServer } from 'node:http';
import { connect } from 'node:net';
import t, { type Test } from 'tap';
import { Type } from 'typebox';
import { loadConfig } from '@concert/config';
import { createServer, errorHandlerPlugin } from '../src/index.js';

/** A real listening server with the shared options (Node's parser is what refuses malformed HTTP). */
async function listening(t: Test) {
  const app = createServer(loadConfig({ LOG_LEVEL: 'silent' }), 'test', {
    logger: false,
    // Node checks request deadlines every `connectionsCheckingInterval` (30 s by default).
    serverFactory: (handler) =>
      createHttpServer({ requestTimeout: 300, headersTimeout: 300, connectionsCheckingInterval: 50 }, handler),
  });
  await app.register(errorHandlerPlugin);
  app.post(
    '/echo',
    { schema: { body: Type.Object({ n: Type.Integer() }, { additionalProperties: false }) } },
    async (request) => request.body,
  );
  const url = new URL(await app.listen({ port: 0, host: '127.0.0.1' }));
  t.teardown(() => app.close());
  return Number(url.port);
}

type RawAnswer = { status: number; headers: Record<string, string>; body: string; closed: boolean };

/** Writes `request` as raw bytes and reads until the server closes the connection (or 3 s pass). */
function rawRequest(port: number, request: string | Buffer, opts: { keepOpen?: boolean } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let closed = false;
    const finish = () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers = Object.fromEntries(
        headerLines.map((line) => [
          line.slice(0, line.indexOf(':')).toLowerCase(),
          line.slice(line.indexOf(':') + 1).trim(),
        ]),
      );
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body, closed });
    };
    const timer = setTimeout(() => {
      socket.destroy();
      finish();
    }, 3000);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => {
      closed = true;
      clearTimeout(timer);
      finish();
    });
    socket.on('error', reject);
    socket.write(request);
    if (!opts.keepOpen) socket.end();
  });
}

t.test('malformed HTTP is answered in the contract shape with a stable code, and the connection closed', async (t) => {
  const port = await listening(t);
  const body = '{"n":1}';
  const cases: [string, string, number, string][] = [
    [
      'two different Content-Length headers',
      `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 7\r\nContent-Length: 8\r\n\r\n${body}`,
      400,
      'BAD_REQUEST',
    ],
    [
      'the same Content-Length twice',
      `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n${body}`,
      400,
      'BAD_REQUEST',
    ],
    [
      'Transfer-Encoding and Content-Length together (request smuggling)',
      `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Length: 7\r\n\r\n7\r\n${body}\r\n0\r\n\r\n`,
      400,
      'BAD_REQUEST',
    ],
    [
      'headers over the size limit',
      `GET /echo HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      'HEADERS_TOO_LARGE',
    ],
    ['a request line with a broken version', 'GET /echo HTTP/1.x\r\nHost: x\r\n\r\n', 400, 'BAD_REQUEST'],
    ['a control character in the target', 'GET /e\u0001cho HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'BAD_REQUEST'],
    ['a method that does not exist', 'BR=W /echo HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'BAD_REQUEST'],
    ['a header name with a space', 'GET /echo HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n', 400, 'BAD_REQUEST'],
    ['binary garbage', '\u0000\u0001\u0002 hello\r\n\r\n', 400, 'BAD_REQUEST'],
  ];
  for (const [name, request, statusCode, code] of cases) {
    const answer = await rawRequest(port, request, { keepOpen: true });
    t.equal(answer.status, statusCode, `${name}: ${statusCode}`);
    t.match(answer.headers['content-type'], /^application\/json/, `${name}: JSON`);
    t.equal(Number(answer.headers['content-length']), Buffer.byteLength(answer.body), `${name}: framed`);
    const parsed = JSON.parse(answer.body);
    t.match(parsed, { statusCode, code, error: /\w/, message: /\w/ }, `${name}: ${code}`);
    t.ok(answer.closed, `${name}: the server closed the connection`);
  }

  const ok = await rawRequest(
    port,
    `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 7\r\nConnection: close\r\n\r\n${body}`,
  );
  t.same([ok.status, JSON.parse(ok.body)], [200, { n: 1 }], 'a well-formed request on a new connection is served');
});

t.test('a request whose headers never finish gets 408 REQUEST_TIMEOUT', async (t) => {
  const port = await listening(t);
  const started = Date.now();
  const answer = await rawRequest(port, 'GET /echo HTTP/1.1\r\nHost: x\r\nX-Slow: ', { keepOpen: true });
  t.equal(answer.status, 408);
  t.match(JSON.parse(answer.body), { statusCode: 408, code: 'REQUEST_TIMEOUT' });
  t.ok(answer.closed, 'closed');
  t.ok(Date.now() - started < 2500, `after the server's deadline (${Date.now() - started} ms)`);
});

import t, { type Test } from 'tap';
import createError from '@fastify/error';
import { Type } from 'typebox';
import { loadConfig } from '@concert/config';
import { createServer, docsPlugin, errorHandlerPlugin, errorResponses, HttpErrors, respond } from '../src/index.js';

/** A 401 of no catalog: what a route would answer if it threw a code nobody documented. */
const STRANGER = createError('STRANGER_CODE', 'a code no catalog has', 401);
const ok = respond(Type.Object({ ok: Type.Boolean() }, { additionalProperties: false }), 'Fine');

/** Routes whose documented responses are known, under the error handler with or without the check. */
async function build(t: Test, checkAnswers: boolean) {
  const app = createServer(loadConfig({ LOG_LEVEL: 'silent' }), 'test', { logger: false });
  await app.register(errorHandlerPlugin, { checkAnswers });
  await app.register(docsPlugin, { title: 'test', description: 'test', serverUrl: 'http://localhost' });
  const documented = { 200: ok, ...errorResponses(HttpErrors.ADMIN_KEY_INVALID) };
  app.get('/documented-code', { schema: { response: documented } }, async () => {
    throw new HttpErrors.ADMIN_KEY_INVALID();
  });
  app.get('/other-code', { schema: { response: documented } }, async () => {
    throw new STRANGER();
  });
  app.get('/other-status', { schema: { response: documented } }, async () => {
    throw new HttpErrors.RATE_LIMITED(5);
  });
  app.get('/other-success', { schema: { response: documented } }, async (_request, reply) =>
    // The types refuse an undocumented status; at run time only the check does.
    reply.code(202 as 200).send({ ok: true }),
  );
  app.get('/undocumented-route', async () => {
    throw new HttpErrors.RATE_LIMITED(5);
  });
  app.post(
    '/with-body',
    {
      schema: {
        body: Type.Object({ n: Type.Integer() }, { additionalProperties: false }),
        response: { 200: ok, ...errorResponses() },
      },
    },
    async () => ({ ok: true }),
  );
  app.get(
    '/with-query',
    {
      schema: {
        querystring: Type.Object({ n: Type.Optional(Type.Integer()) }, { additionalProperties: false }),
        response: { 200: ok, ...errorResponses() },
      },
    },
    async () => ({ ok: true }),
  );
  app.get('/plain', { schema: { response: { 200: ok, ...errorResponses() } } }, async () => ({ ok: true }));
  await app.ready();
  t.teardown(() => app.close());
  return app;
}

/** Collects the process warnings the check emits while `run` runs. */
async function warningsDuring(run: () => Promise<unknown>) {
  const seen: string[] = [];
  const listener = (warning: Error) => {
    if (warning.name === 'UndocumentedAnswer') seen.push(warning.message);
  };
  process.on('warning', listener);
  try {
    await run();
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', listener);
  }
  return seen;
}

t.test('the contract check turns an undocumented answer into a loud 500', async (t) => {
  const app = await build(t, true);
  for (const [url, described] of [
    ['/other-code', 'GET /other-code answered 401 STRANGER_CODE'],
    ['/other-status', 'GET /other-status answered status 429'],
    ['/other-success', 'GET /other-success answered status 202'],
  ] as const) {
    let response: Awaited<ReturnType<typeof app.inject>> | undefined;
    const warnings = await warningsDuring(async () => {
      response = await app.inject({ method: 'GET', url });
    });
    t.equal(response!.statusCode, 500, `${url}: 500`);
    t.match(response!.json(), { statusCode: 500, code: 'INTERNAL_ERROR', error: 'Internal Server Error' }, url);
    t.match(response!.json().message, described, `${url}: the message names what was undocumented`);
    t.notOk(response!.headers['www-authenticate'], `${url}: no header of the replaced answer`);
    t.notOk(response!.headers['retry-after'], `${url}: no Retry-After of the replaced answer`);
    t.same(warnings.length, 1, `${url}: a process warning too (tests run with logging off)`);
    t.match(warnings[0], described);
  }
});

t.test('documented answers, and routes that document nothing, pass the check untouched', async (t) => {
  const app = await build(t, true);
  const warnings = await warningsDuring(async () => {
    const refused = await app.inject({ method: 'GET', url: '/documented-code' });
    t.equal(refused.statusCode, 401);
    t.equal(refused.json().code, 'ADMIN_KEY_INVALID');
    t.ok(refused.headers['www-authenticate'], 'its headers kept');
    const undocumented = await app.inject({ method: 'GET', url: '/undocumented-route' });
    t.equal(undocumented.statusCode, 429, 'a route without documented responses is not checked');
    const missing = await app.inject({ method: 'GET', url: '/no-such-route' });
    t.equal(missing.json().code, 'ROUTE_NOT_FOUND', 'nor is the not-found handler');
    t.equal((await app.inject({ method: 'GET', url: '/plain' })).statusCode, 200);
  });
  t.same(warnings, [], 'no warning');
});

t.test('without the check (production), answers are sent as they are', async (t) => {
  const app = await build(t, false);
  const warnings = await warningsDuring(async () => {
    const response = await app.inject({ method: 'GET', url: '/other-code' });
    t.equal(response.statusCode, 401);
    t.equal(response.json().code, 'STRANGER_CODE');
  });
  t.same(warnings, []);
});

t.test('what a request schema implies is documented, and only where it can happen', async (t) => {
  const app = await build(t, true);
  const bad = [
    [{ 'content-type': 'application/json' }, '{"n":', 400, 'INVALID_JSON'],
    [{ 'content-type': 'application/json' }, '{"n":"1"}', 400, 'VALIDATION_ERROR'],
    [{ 'content-type': 'application/xml' }, '<n>1</n>', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    [{ 'content-type': 'application/json' }, JSON.stringify({ n: 1, pad: 'x'.repeat(20_000) }), 413, 'BODY_TOO_LARGE'],
  ] as const;
  for (const [headers, payload, statusCode, code] of bad) {
    const response = await app.inject({ method: 'POST', url: '/with-body', headers, payload });
    t.equal(response.statusCode, statusCode, `${code}: answered, documented (not replaced by a 500)`);
    t.equal(response.json().code, code);
  }
  const query = await app.inject({ method: 'GET', url: '/with-query?n=x' });
  t.equal(query.statusCode, 400, 'a querystring that fails its schema');
  t.equal(query.json().code, 'VALIDATION_ERROR');

  type Responses = Record<string, { content?: { 'application/json': { schema: { properties: object } } } }>;
  const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as {
    paths: Record<string, Record<string, { responses: Responses }>>;
  };
  const responsesOf = (path: string, method: string) => document.paths[path]![method]!.responses;
  const codesOf = (responses: Responses, status: string) =>
    (responses[status]?.content?.['application/json'].schema.properties as { code?: { enum: string[] } } | undefined)
      ?.code?.enum;
  const withBody = responsesOf('/with-body', 'post');
  t.same(codesOf(withBody, '400'), ['INVALID_JSON', 'VALIDATION_ERROR'], 'a body: 400 INVALID_JSON, VALIDATION_ERROR');
  t.same(codesOf(withBody, '413'), ['BODY_TOO_LARGE']);
  t.same(codesOf(withBody, '415'), ['UNSUPPORTED_MEDIA_TYPE']);
  const withQuery = responsesOf('/with-query', 'get');
  t.same(codesOf(withQuery, '400'), ['VALIDATION_ERROR'], 'a querystring: VALIDATION_ERROR only');
  t.notOk(withQuery['413'] ?? withQuery['415'], 'no body errors on a GET');
  const plain = responsesOf('/plain', 'get');
  t.same(Object.keys(plain).sort(), ['200', '500', '503'], 'nothing to validate: no 400 at all');
  t.same(codesOf(plain, '503'), ['SERVICE_UNAVAILABLE']);
});

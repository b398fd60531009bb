import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { setupTestContext, startStack } from '@concert/testing';
import { HttpErrors } from '@concert/http';
import { TokenErrors } from '@concert/tokens';
import { QueueErrors } from '@concert/queue';
import { BookingErrors } from '@concert/booking-domain';

const run = promisify(execFile);

type Schema = {
  $ref?: string;
  oneOf?: Schema[];
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean;
  examples?: unknown[];
};
/** A media type object: its schema and (moved there by @fastify/swagger) the body's example. */
type Media = { schema: Schema; example?: unknown; examples?: Record<string, { value: unknown }> };
type Response = {
  description: string;
  headers?: Record<string, { schema: Schema }>;
  content?: Record<string, { schema: Schema }>;
};
type Operation = {
  operationId?: string;
  parameters?: { in: string; name: string; schema: Schema; example?: unknown }[];
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, Response>;
};
type Document = {
  openapi: string;
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas?: Record<string, Schema> };
};

/** Where clients reach the services, as configured (the documents' `servers`). */
const PUBLIC_URLS = { gateway: 'https://queue.example.test', booking: 'https://booking.example.test' };
/** The writes that honour Idempotency-Key (DESIGN): their answers may be replays. */
const IDEMPOTENT_OPERATIONS = ['chargePoints', 'holdSeats', 'payReservations', 'refundPayment'];

/** Each code's status, from the catalogs that define them. */
const STATUS_OF = new Map(
  [HttpErrors, TokenErrors, QueueErrors, BookingErrors].flatMap((catalog) =>
    Object.values(catalog).map((constructor) => {
      const sample = new (constructor as new () => { code: string; statusCode: number })();
      return [sample.code, sample.statusCode] as const;
    }),
  ),
);

const operationsOf = (document: Document) =>
  Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation })),
  );
/** `schema`, or the named component it refers to. */
const resolve = (document: Document, schema: Schema): Schema =>
  schema.$ref ? resolve(document, document.components.schemas![schema.$ref.split('/').pop()!]!) : schema;
/** A body's own examples, wherever the document keeps them. */
const examplesOf = (media: Media) => [
  ...(media.example === undefined ? [] : [media.example]),
  ...Object.values(media.examples ?? {}).map((example) => example.value),
];
/** The codes an error response lists (undefined for a response that is not an error body). */
const codesOf = (document: Document, response: Response) => {
  const schema = response.content?.['application/json']?.schema;
  const code = schema && resolve(document, schema).properties?.code;
  return (code as { enum?: string[] } | undefined)?.enum;
};

t.test('the OpenAPI documents: named, linted, and good enough to generate a working client from', async (t) => {
  const context = await setupTestContext(t, {
    database: true,
    env: { PUBLIC_GATEWAY_URL: PUBLIC_URLS.gateway, PUBLIC_BOOKING_URL: PUBLIC_URLS.booking },
  });
  const stack = await startStack({ env: context.env, instances: { worker: 0 } });
  t.teardown(() => stack.stop());
  const dir = process.env.OPENAPI_OUT ?? t.testdir();
  const documents: Record<string, Document> = {};
  for (const [name, url] of [
    ['gateway', stack.gateways[0]!],
    ['booking', stack.bookings[0]!],
  ] as const) {
    documents[name] = (await (await fetch(`${url}/docs/json`)).json()) as Document;
    writeFileSync(join(dir, `${name}.json`), JSON.stringify(documents[name], null, 2));
  }

  for (const [name, document] of Object.entries(documents)) {
    t.equal(document.openapi, '3.1.0', `${name}: OpenAPI 3.1`);
    const operations = Object.values(document.paths).flatMap((methods) => Object.values(methods));
    const ids = operations.map((operation) => operation.operationId);
    t.ok(ids.every(Boolean), `${name}: every operation has an operationId`);
    t.equal(new Set(ids).size, ids.length, `${name}: and each is unique`);
    t.ok(Object.keys(document.components.schemas ?? {}).length >= 5, `${name}: named component schemas`);
  }
  t.match(documents.gateway!.components.schemas, { Placement: {}, QueueToken: {}, QueueSettings: {} });
  t.match(documents.booking!.components.schemas, { Reservation: {}, PaymentReceipt: {}, PaymentRequest: {} });
  const join201 = documents.gateway!.paths['/queues/{queueId}/tokens']!.post!.responses;
  t.not(join201['200']!.description, join201['201']!.description, "join's 200 and 201 say what each means");

  for (const [name, document] of Object.entries(documents)) {
    t.same(document.servers, [{ url: PUBLIC_URLS[name as keyof typeof PUBLIC_URLS] }], `${name}: servers`);
    const missing = { requestId: [] as string[], errorHeaders: [] as string[], location: [] as string[] };
    for (const { name: operationName, operation } of operationsOf(document)) {
      for (const [status, response] of Object.entries(operation.responses)) {
        const where = `${operationName} ${status}`;
        const headers = Object.keys(response.headers ?? {});
        if (!headers.includes('x-request-id')) missing.requestId.push(where);
        if (status === '201' && !headers.includes('location')) missing.location.push(where);
        const codes = codesOf(document, response);
        if (!codes) continue;
        // An error response: its codes (an enum, never empty) and the headers DESIGN gives its status.
        if (codes.length === 0) missing.errorHeaders.push(`${where}: no codes`);
        for (const code of codes.filter((listed) => String(STATUS_OF.get(listed)) !== status)) {
          missing.errorHeaders.push(`${where}: ${code} is a ${STATUS_OF.get(code) ?? 'unknown code'}`);
        }
        const wanted = status === '401' ? 'www-authenticate' : ['429', '503'].includes(status) ? 'retry-after' : '';
        if (wanted && !headers.includes(wanted)) missing.errorHeaders.push(`${where}: ${wanted}`);
      }
    }
    t.same(missing.requestId, [], `${name}: x-request-id on every response`);
    t.same(
      missing.errorHeaders,
      [],
      `${name}: every error response lists codes of its status, WWW-Authenticate on 401, Retry-After on 429/503`,
    );
    t.same(missing.location, [], `${name}: Location on every 201`);

    // Idempotency-Key in, Idempotent-Replayed out, on exactly the writes DESIGN names.
    const keyed = operationsOf(document).filter(({ operation }) =>
      operation.parameters?.some((parameter) => parameter.in === 'header' && parameter.name === 'idempotency-key'),
    );
    for (const { name: operationName, operation } of keyed) {
      const success = Object.entries(operation.responses).filter(([status]) => status.startsWith('2'));
      t.ok(
        success.length > 0 && success.every(([, response]) => response.headers?.['idempotent-replayed']),
        `${operationName}: its success says when it is a replay (Idempotent-Replayed)`,
      );
      const key = operation.parameters!.find((parameter) => parameter.name === 'idempotency-key')!;
      t.ok(key.example ?? key.schema.examples?.length, `${operationName}: an example Idempotency-Key`);
    }
    if (name === 'booking') {
      t.same(keyed.map(({ operation }) => operation.operationId).sort(), IDEMPOTENT_OPERATIONS, 'the keyed writes');
    }

    // Every request body can be filled in from its examples (the Swagger UI pre-fills with them):
    // the body's own, or one for each field of each shape it may take.
    for (const { name: operationName, operation } of operationsOf(document)) {
      const media = operation.requestBody?.content['application/json'];
      if (!media || examplesOf(media).length) continue;
      const resolved = resolve(document, media.schema);
      for (const shape of (resolved.oneOf ?? [resolved]).map((alternative) => resolve(document, alternative))) {
        const unexampled = Object.entries(shape.properties ?? {})
          .filter(([, property]) => !resolve(document, property).examples?.length)
          .map(([property]) => property);
        t.ok(shape.examples?.length || unexampled.length === 0, `${operationName}: examples (${unexampled} lacks one)`);
      }
    }
  }

  // Bodies of several shapes are a oneOf of closed objects, each told apart by its own field.
  const booking = documents.booking!;
  const bodyOf = (path: string) =>
    resolve(booking, booking.paths[path]!.post!.requestBody!.content['application/json']!.schema);
  for (const [path, fields] of [
    ['/payments', ['reservationId', 'reservationIds']],
    ['/concerts/{concertId}/schedules/{scheduleId}/reservations', ['seatNo', 'seatNos', 'quantity']],
  ] as const) {
    const shapes = (bodyOf(path).oneOf ?? []).map((shape) => resolve(booking, shape));
    t.same(
      shapes.map((shape) => shape.required?.[0]),
      fields,
      `${path}: oneOf ${fields.join(' | ')}`,
    );
    t.ok(
      shapes.every((shape) => shape.type === 'object' && shape.additionalProperties === false),
      `${path}: each shape closed, so a body matches one`,
    );
  }
  const held = booking.paths['/concerts/{concertId}/schedules/{scheduleId}/reservations']!.post!.responses['201']!;
  t.same(
    resolve(booking, held.content!['application/json']!.schema).oneOf?.map((shape) => shape.$ref),
    ['#/components/schemas/Reservation', '#/components/schemas/HeldSeats'],
    "a hold's answer: oneOf Reservation | HeldSeats",
  );
  const poll = documents.gateway!.paths['/queues/{queueId}/tokens/me']!.get!.responses['200']!;
  t.ok(poll.headers?.['retry-after'], 'a poll answers Retry-After (= pollAfterSeconds)');
  const admin = examplesOf(
    documents.gateway!.paths['/admin/queues/{queueId}']!.put!.requestBody!.content['application/json']!,
  ) as { paused?: boolean; maxActive?: number }[];
  t.ok(admin.length, "the admin body's example");
  t.notOk(
    admin.some((example) => example.paused || example.maxActive === 0),
    'which does not pause the queue (or stop admission) when tried from the Swagger UI',
  );

  for (const name of Object.keys(documents)) {
    const lint = await run('npx', ['--no-install', 'redocly', 'lint', '--format=json', join(dir, `${name}.json`)], {
      maxBuffer: 10_000_000,
    }).catch((error: { stdout: string; stderr: string }) => error);
    const report = JSON.parse(lint.stdout.slice(lint.stdout.indexOf('{'), lint.stdout.lastIndexOf('}') + 1)) as {
      totals: { errors: number; warnings: number };
      problems: { ruleId: string; message: string; severity: string }[];
    };
    t.same(
      report.problems.filter((problem) => problem.severity === 'error').map((p) => `${p.ruleId}: ${p.message}`),
      [],
      `${name}: redocly lint (recommended rules) reports 0 errors (${report.totals.warnings} warnings)`,
    );
  }

  // A client generated from the document, used by a small typed program.
  await run('npx', ['--no-install', 'openapi-typescript', join(dir, 'booking.json'), '-o', join(dir, 'booking.d.ts')]);
  await run('npx', ['--no-install', 'openapi-typescript', join(dir, 'gateway.json'), '-o', join(dir, 'gateway.d.ts')]);
  writeFileSync(
    join(dir, 'program.ts'),
    `import type { components as Booking, operations } from './booking.js';
import type { components as Gateway } from './gateway.js';
type Placement = Gateway['schemas']['Placement'];
type Reservation = Booking['schemas']['Reservation'];
type HoldRequest = operations['holdSeats']['requestBody'] extends { content: { 'application/json': infer B } } ? B : never;
const placement: Placement = {
  queueId: 'demo-tour', status: 'WAITING', position: 3, etaSeconds: 60, activeUntil: null,
  queueStatus: 'OPEN', opensAt: null, pollAfterSeconds: 6,
};
const reservation: Reservation = {
  reservationId: 'r', concertId: 'c', scheduleId: 's', seatNo: 7, price: 150000,
  status: 'HELD', expiresAt: '2026-12-24T19:00:00.000Z', paymentId: null,
};
const hold: HoldRequest = { seatNo: 7 };
// @ts-expect-error a status the contract does not have
const wrong: Reservation['status'] = 'LOST';
export const used = [placement, reservation, hold, wrong];
`,
  );
  const tsc = await run(process.execPath, [
    'node_modules/typescript/bin/tsc',
    '--noEmit',
    '--strict',
    '--module',
    'nodenext',
    '--moduleResolution',
    'nodenext',
    '--skipLibCheck',
    join(dir, 'program.ts'),
  ]).catch((error: { stdout: string }) => error);
  t.equal(tsc.stdout.trim(), '', 'the generated types typecheck a program that uses them');
});

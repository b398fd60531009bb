import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { setupTestContext, startStack } from '@concert/testing';

const run = promisify(execFile);

type Document = {
  openapi: string;
  paths: Record<string, Record<string, { operationId?: string; responses: Record<string, unknown> }>>;
  components: { schemas?: Record<string, unknown> };
};

t.test('the OpenAPI documents: named, linted, and good enough to generate a working client from', async (t) => {
  const context = await setupTestContext(t, { database: true });
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
  t.not(
    (join201['200'] as { description: string }).description,
    (join201['201'] as { description: string }).description,
    "join's 200 and 201 say what each means",
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

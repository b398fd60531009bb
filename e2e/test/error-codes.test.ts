import { readFileSync } from 'node:fs';
import t from 'tap';
import { ERROR_CODES, type ErrorCode } from '@concert/contract';
import { HttpErrors, type HttpErrorCode } from '@concert/http';
import { TokenErrors, type TokenErrorCode } from '@concert/tokens';
import { QueueErrors, type QueueErrorCode } from '@concert/queue';
import { BookingErrors, type BookingErrorCode } from '@concert/booking-domain';

/** Every error catalog of the system: together, the contract's `code` values. */
const CATALOGS = { HttpErrors, TokenErrors, QueueErrors, BookingErrors };

const entries = Object.entries(CATALOGS).flatMap(([catalog, errors]) =>
  Object.entries(errors).map(([name, constructor]) => {
    const sample = new (constructor as new () => { code: string; statusCode: number })();
    return { catalog, name, code: sample.code, statusCode: sample.statusCode };
  }),
);

t.test('every code is named after itself and defined in exactly one catalog', async (t) => {
  for (const entry of entries) t.equal(entry.code, entry.name, `${entry.catalog}.${entry.name}`);
  const codes = entries.map((entry) => entry.code);
  const repeated = codes.filter((code, i) => codes.indexOf(code) !== i);
  t.same(repeated, [], 'no code in two catalogs');
  t.ok(entries.length >= 30, `${entries.length} codes in all`);
});

// Compile time: the contract's ErrorCode and the catalogs' codes are one set (typecheck fails otherwise).
type CatalogCode = HttpErrorCode | TokenErrorCode | QueueErrorCode | BookingErrorCode;
type Expect<T extends true> = T;
type _ErrorCodeIsTheCatalogs = Expect<[ErrorCode, CatalogCode] extends [CatalogCode, ErrorCode] ? true : false>;

t.test("the contract's ERROR_CODES (what clients switch on) are exactly the catalogs' codes", async (t) => {
  t.same([...ERROR_CODES].sort(), entries.map((entry) => entry.code).sort(), 'ERROR_CODES lists every catalog code');
  t.equal(new Set(ERROR_CODES).size, ERROR_CODES.length, 'each once');
});

t.test("the README's error table lists every code with its status, and nothing else", async (t) => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('## Errors');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const rows = [...section.matchAll(/^\|\s*`([A-Z_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map(([, code, status]) => ({
    code: code!,
    statusCode: Number(status),
  }));
  t.ok(rows.length > 0, 'the README has an error table');
  for (const entry of entries) {
    const row = rows.find((r) => r.code === entry.code);
    t.ok(row, `README lists ${entry.code}`);
    if (row) t.equal(row.statusCode, entry.statusCode, `${entry.code}: status ${entry.statusCode}`);
  }
  const unknown = rows.filter((row) => !entries.some((entry) => entry.code === row.code)).map((row) => row.code);
  t.same(unknown, [], 'the table names no code the catalogs lack');
});

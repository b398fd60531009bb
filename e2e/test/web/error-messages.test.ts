import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import t from 'tap';
import { HttpErrors } from '@concert/http';
import { TokenErrors } from '@concert/tokens';
import { QueueErrors } from '@concert/queue';
import { BookingErrors } from '@concert/booking-domain';
import { WORKSPACE_ROOT } from './browser.js';

// The web app's sentences (apps/web/src/client/shared/error-messages.ts), loaded as a file: e2e
// depends on libraries, never on an app's package, so its shape is restated here.
type Messages = {
  ERROR_MESSAGES: Record<string, (context: Record<string, unknown>) => string>;
  CLIENT_ERROR_CODES: readonly string[];
  describeError: (error: unknown, context?: Record<string, unknown>) => string;
};
const { ERROR_MESSAGES, CLIENT_ERROR_CODES, describeError } = (await import(
  pathToFileURL(join(WORKSPACE_ROOT, 'apps/web/src/client/shared/error-messages.ts')).href
)) as Messages;

const CATALOG_CODES = [HttpErrors, TokenErrors, QueueErrors, BookingErrors].flatMap((catalog) => Object.keys(catalog));

t.test('the site has a sentence for every error code of every catalog', async (t) => {
  t.ok(CATALOG_CODES.length >= 30, `${CATALOG_CODES.length} codes in the catalogs`);
  const missing = CATALOG_CODES.filter((code) => !(code in ERROR_MESSAGES));
  t.same(missing, [], 'no code without a sentence');
  const known = new Set<string>([...CATALOG_CODES, ...CLIENT_ERROR_CODES]);
  t.same(
    Object.keys(ERROR_MESSAGES).filter((code) => !known.has(code)),
    [],
    'and no sentence for a code nobody sends',
  );
  for (const [code, sentence] of Object.entries(ERROR_MESSAGES)) {
    const text = sentence({});
    t.match(text, /^[A-Z“].{10,}[.!]$/, `${code}: a sentence, not a code`);
    t.notMatch(text, /undefined|null|\[object/, `${code}: no hole when the context is empty`);
  }
});

t.test('sentences use what the screen knows, and any failure gets one', async (t) => {
  const error = (status: number, code: string, retryAfter?: number) =>
    Object.assign(new Error(code), {
      status,
      code,
      retryAfterSeconds: retryAfter,
    });
  t.equal(
    describeError(error(409, 'SEAT_UNAVAILABLE'), { seatNos: [7] }),
    'Someone just took seat 7. Please pick another.',
  );
  t.equal(
    describeError(error(409, 'SEAT_UNAVAILABLE'), { seatNos: [7, 8, 9] }),
    'Someone just took seats 7, 8 and 9. Please pick another.',
  );
  t.match(describeError(error(429, 'RATE_LIMITED', 12)), /in 12 seconds/);
  t.match(describeError(error(409, 'HOLD_LIMIT_REACHED'), { maxHolds: 4 }), /at most 4 seats/);
  t.match(describeError(error(404, 'TOKEN_NOT_FOUND'), { userId: 'ann' }), /“ann” holds no place/);
  t.equal(describeError(new TypeError('Failed to fetch')), ERROR_MESSAGES.NETWORK_ERROR!({}), 'network failures');
  t.equal(describeError(error(502, 'HTTP_502')), ERROR_MESSAGES.SERVICE_UNAVAILABLE!({}), "a proxy's 502");
  t.equal(describeError(error(418, 'TEAPOT')), ERROR_MESSAGES.UNKNOWN_ERROR!({}), 'anything else');
});

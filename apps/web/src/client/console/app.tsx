import { useRef, useState } from 'preact/hooks';
import { ApiError, type Concert, type QueueOverview } from '@concert/contract';
import type { Site } from '../shared/site.js';
import { describeError } from '../shared/error-messages.js';
import { formatTime } from '../shared/format.js';
import { useFocusOnMount, useRepeating } from '../shared/hooks.js';
import { readSession, writeSession } from '../shared/storage.js';
import { Notice } from '../shared/ui.js';
import type { Sample } from './chart.js';
import { QueueCard } from './queue-card.js';
import type { SalesReading } from './sales-table.js';

// Session storage only: the admin key never outlives the tab.
const KEY = 'concert.console.adminKey';
const REFRESH_MS = 2000;
// Sales per date is one query per concert on booking: often enough to watch a sale, no more.
const SALES_REFRESH_MS = 5000;
const WINDOW_MS = 5 * 60_000;

/** The operators' console: admin key sign-in, then every queue, live. */
export function ConsoleApp(props: { site: Site }) {
  const [adminKey, setAdminKey] = useState<string | null>(() => readSession<string>(KEY));
  const [notice, setNotice] = useState<string | null>(null);

  const signOut = (why?: string) => {
    writeSession(KEY, null);
    setAdminKey(null);
    setNotice(why ?? null);
  };

  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar topbar--console">
        <span class="brand">Operators’ console</span>
        {adminKey && (
          <nav class="nav" aria-label="Console">
            <button type="button" class="nav__link" onClick={() => signOut()}>
              Sign out
            </button>
          </nav>
        )}
      </header>
      <main id="main" class="main main--wide">
        {adminKey ? (
          <Queues
            site={props.site}
            adminKey={adminKey}
            onKeyRefused={() => signOut(describeError({ code: 'ADMIN_KEY_INVALID' }))}
          />
        ) : (
          <KeySignIn
            site={props.site}
            notice={notice}
            onSignedIn={(key) => {
              writeSession(KEY, key);
              setNotice(null);
              setAdminKey(key);
            }}
          />
        )}
      </main>
    </>
  );
}

function KeySignIn(props: { site: Site; notice: string | null; onSignedIn: (key: string) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(props.notice);
  const [busy, setBusy] = useState(false);
  const heading = useFocusOnMount<HTMLHeadingElement>();

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await props.site.gateway.admin(key).listQueues();
      props.onSignedIn(key);
    } catch (failure) {
      setError(describeError(failure));
      setBusy(false);
    }
  }

  return (
    <section class="panel narrow" aria-labelledby="key-title">
      <h1 id="key-title" tabIndex={-1} ref={heading}>
        Sign in
      </h1>
      <form class="stack" onSubmit={submit}>
        <label class="field">
          <span class="field__label">Admin key</span>
          <input
            type="password"
            name="adminKey"
            autocomplete="current-password"
            required
            value={key}
            onInput={(event) => setKey(event.currentTarget.value)}
          />
          <span class="field__hint">Kept in this tab only, until you sign out or close it.</span>
        </label>
        <button type="submit" class="button button--primary" disabled={busy || !key}>
          Sign in
        </button>
      </form>
      <div class="notice-slot">{error && <Notice tone="error">{error}</Notice>}</div>
    </section>
  );
}

function Queues(props: { site: Site; adminKey: string; onKeyRefused: () => void }) {
  const { site } = props;
  const admin = site.gateway.admin(props.adminKey);
  const [queues, setQueues] = useState<QueueOverview[] | null>(null);
  // The concert each queue sells, by queue id.
  const [concerts, setConcerts] = useState<Record<string, Concert>>({});
  const [sales, setSales] = useState<Record<string, SalesReading>>({});
  const [error, setError] = useState<string | null>(null);
  const [updatedAt, setUpdatedAt] = useState<number | null>(null);
  const history = useRef(new Map<string, Sample[]>());
  const [round, setRound] = useState(0);
  const heading = useFocusOnMount<HTMLHeadingElement>();

  // Which concert each queue sells (public): until known, then every minute (concerts are added).
  useRepeating(
    async () => {
      try {
        const { data } = await site.booking.listConcerts();
        setConcerts(Object.fromEntries(data.map((concert) => [concert.queueId, concert])));
      } catch {
        // titles are a nicety: queue ids are shown anyway
      }
    },
    60_000,
    'concerts',
  );

  // Seats sold, held and left per date, from booking's operators' endpoint (the same admin key).
  useRepeating(
    async (signal) => {
      const readings = await Promise.all(
        Object.values(concerts).map(async (concert): Promise<[string, SalesReading]> => {
          try {
            const { data } = await site.booking.admin(props.adminKey).listScheduleSales(concert.id);
            return [concert.queueId, { dates: data }];
          } catch (failure) {
            // The gateway took the key, so booking is the one configured without it (or with another).
            const error =
              failure instanceof ApiError && failure.code === 'ADMIN_KEY_INVALID'
                ? 'Booking refused this admin key: set the same ADMIN_API_KEY on booking as on the gateway.'
                : describeError(failure);
            return [concert.queueId, { error }];
          }
        }),
      );
      if (!signal.aborted) setSales(Object.fromEntries(readings));
    },
    SALES_REFRESH_MS,
    `${props.adminKey}:${Object.keys(concerts).join(',')}:${round}`,
  );

  useRepeating(
    async () => {
      try {
        const { data } = await admin.listQueues();
        const now = Date.now();
        for (const queue of data) {
          const samples = history.current.get(queue.queueId) ?? [];
          samples.push({
            at: now,
            waiting: queue.waiting + queue.lobby,
            active: queue.active,
            admittedLastMinute: queue.admittedLastMinute,
          });
          while (samples.length && samples[0]!.at < now - WINDOW_MS) samples.shift();
          history.current.set(queue.queueId, samples);
        }
        setQueues(data);
        setUpdatedAt(now);
        setError(null);
      } catch (failure) {
        if (failure instanceof ApiError && failure.code === 'ADMIN_KEY_INVALID') props.onKeyRefused();
        else setError(describeError(failure));
      }
    },
    REFRESH_MS,
    `${props.adminKey}:${round}`,
  );

  return (
    <section aria-labelledby="queues-title">
      <h1 id="queues-title" tabIndex={-1} ref={heading}>
        Queues
      </h1>
      <p class="small" aria-live="off">
        Live: refreshed every {REFRESH_MS / 1000} s
        {updatedAt ? `, last at ${formatTime(new Date(updatedAt).toISOString())}` : ''}.
      </p>
      <div class="notice-slot">{error && <Notice tone="error">{error}</Notice>}</div>
      {queues === null && !error && <p aria-busy="true">Loading queues…</p>}
      {queues?.length === 0 && <p>No queue is configured yet.</p>}
      <div class="queues">
        {queues?.map((queue) => (
          <QueueCard
            key={queue.queueId}
            admin={admin}
            queue={queue}
            title={concerts[queue.queueId]?.title ?? null}
            sales={concerts[queue.queueId] ? sales[queue.queueId] : null}
            samples={history.current.get(queue.queueId) ?? []}
            windowMs={WINDOW_MS}
            now={updatedAt ?? Date.now()}
            onChanged={() => setRound((n) => n + 1)}
          />
        ))}
      </div>
    </section>
  );
}

import { useState } from 'preact/hooks';
import type { GatewayClient, QueueOverview, QueueSettingsChange } from '@concert/contract';
import { describeError } from '../shared/error-messages.js';
import { formatDateTime, toLocalInput } from '../shared/format.js';
import { Notice, Stat } from '../shared/ui.js';
import { Chart, type Sample } from './chart.js';
import { SalesTable, type SalesReading } from './sales-table.js';

type Admin = ReturnType<GatewayClient['admin']>;

type Props = {
  admin: Admin;
  queue: QueueOverview;
  title: string | null;
  /** Sales per date of the queue's concert (undefined: not read yet; null: no concert sells this queue). */
  sales: SalesReading | undefined | null;
  samples: Sample[];
  windowMs: number;
  now: number;
  onChanged: () => void;
};

const STATUS_WORDS: Record<QueueOverview['queueStatus'], string> = {
  OPEN: 'Open',
  PAUSED: 'Paused',
  LOBBY: 'Lobby',
  SOLD_OUT: 'Sold out',
};

/** One queue: live figures, the chart, sales per date, pause/resume, settings, opening time, revoking a user. */
export function QueueCard(props: Props) {
  const { admin, queue } = props;
  const id = `queue-${queue.queueId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const [message, setMessage] = useState<{ tone: 'error' | 'success'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [draft, setDraft] = useState<Record<string, string> | null>(null);
  const [opensAt, setOpensAt] = useState<string>(toLocalInput(queue.opensAt));
  const [userId, setUserId] = useState('');

  async function change(settings: QueueSettingsChange, done: string) {
    setBusy(true);
    setMessage(null);
    try {
      await admin.putQueue(queue.queueId, settings);
      setMessage({ tone: 'success', text: done });
      props.onChanged();
      return true;
    } catch (failure) {
      setMessage({ tone: 'error', text: describeError(failure, { queueId: queue.queueId }) });
      return false;
    } finally {
      setBusy(false);
    }
  }

  const editing = draft ?? {
    maxActive: String(queue.maxActive),
    activeTtlSeconds: String(queue.activeTtlSeconds),
    admitPerMinute: queue.admitPerMinute === null ? '' : String(queue.admitPerMinute),
    abandonAfterSeconds: String(queue.abandonAfterSeconds),
    maxActivePerSeat: queue.maxActivePerSeat === null ? '' : String(queue.maxActivePerSeat),
  };
  const edit = (field: string) => (event: Event) =>
    setDraft({ ...editing, [field]: (event.currentTarget as HTMLInputElement).value });

  async function saveSettings(event: Event) {
    event.preventDefault();
    const ok = await change(
      {
        maxActive: Number(editing.maxActive),
        activeTtlSeconds: Number(editing.activeTtlSeconds),
        admitPerMinute: editing.admitPerMinute ? Number(editing.admitPerMinute) : null,
        abandonAfterSeconds: Number(editing.abandonAfterSeconds),
        maxActivePerSeat: editing.maxActivePerSeat ? Number(editing.maxActivePerSeat) : null,
      },
      'Settings saved.',
    );
    if (ok) setDraft(null);
  }

  async function setOpening(event: Event) {
    event.preventDefault();
    if (!opensAt) return;
    await change(
      { opensAt: new Date(opensAt).toISOString() },
      `Opening set to ${formatDateTime(new Date(opensAt).toISOString())}.`,
    );
  }

  async function revoke(event: Event) {
    event.preventDefault();
    const who = userId.trim();
    setBusy(true);
    setMessage(null);
    try {
      await admin.revokeUser(queue.queueId, who);
      setMessage({ tone: 'success', text: `“${who}” no longer has a place in this line.` });
      setUserId('');
      props.onChanged();
    } catch (failure) {
      setMessage({ tone: 'error', text: describeError(failure, { userId: who, queueId: queue.queueId }) });
    } finally {
      setBusy(false);
    }
  }

  const field = (name: string, label: string, attrs: Record<string, number | string>, hint?: string) => (
    <label class="field">
      <span class="field__label">{label}</span>
      <input type="number" name={name} value={editing[name]} onInput={edit(name)} {...attrs} />
      {hint && <span class="field__hint">{hint}</span>}
    </label>
  );

  return (
    <article class="panel queue" aria-labelledby={`${id}-title`} data-queue={queue.queueId}>
      <header class="queue__head">
        <h2 id={`${id}-title`}>
          {props.title ?? queue.queueId} <span class="queue__id">{queue.queueId}</span>
        </h2>
        <span class={`badge badge--${queue.queueStatus.toLowerCase()}`} id={`${id}-status`}>
          {STATUS_WORDS[queue.queueStatus]}
        </span>
      </header>
      <dl class="stats stats--four">
        <Stat label="Waiting" value={queue.waiting} />
        <Stat label="Lobby" value={queue.lobby} />
        <Stat label="Active" value={`${queue.active} / ${queue.maxActive}`} />
        <Stat
          label="Admitted/min"
          value={queue.admittedLastMinute}
          hint={queue.admitPerMinute ? `cap ${queue.admitPerMinute}` : 'no cap'}
        />
        <Stat label="Abandoned" value={queue.abandonedTotal} hint="in all" />
        <Stat label="Admitted" value={queue.admittedTotal} hint="in all" />
        <Stat
          label="Seats left"
          value={queue.seatsLeft ?? '—'}
          hint={queue.seatsLeft === null ? 'not reported yet' : 'all dates'}
        />
        <Stat label="Opens" value={queue.opensAt ? formatDateTime(queue.opensAt) : '—'} />
      </dl>
      <Chart samples={props.samples} windowMs={props.windowMs} now={props.now} />
      {props.sales !== null && <SalesTable id={id} reading={props.sales} />}

      <div class="notice-slot">{message && <Notice tone={message.tone}>{message.text}</Notice>}</div>

      <div class="actions">
        <button
          type="button"
          class={queue.paused ? 'button button--primary' : 'button button--danger'}
          disabled={busy}
          onClick={() => change({ paused: !queue.paused }, queue.paused ? 'Admissions resumed.' : 'Admissions paused.')}
        >
          {queue.paused ? 'Resume admissions' : 'Pause admissions'}
        </button>
      </div>

      <details class="section">
        <summary>Settings</summary>
        <form class="grid-form" onSubmit={saveSettings}>
          {field('maxActive', 'Most fans booking at once', { min: 1, max: 1_000_000, required: 'required' })}
          {field('activeTtlSeconds', 'Turn length (seconds)', { min: 10, max: 86_400, required: 'required' })}
          {field('admitPerMinute', 'Admissions per minute', { min: 1, max: 1_000_000 }, 'empty: no cap')}
          {field('abandonAfterSeconds', 'Drop absent waiters after (seconds)', {
            min: 30,
            max: 86_400,
            required: 'required',
          })}
          {field('maxActivePerSeat', 'Fans per seat left', { min: 0.01, max: 1000, step: 'any' }, 'empty: no seat cap')}
          <div class="actions">
            <button type="submit" class="button button--primary" disabled={busy}>
              Save settings
            </button>
            {draft && (
              <button type="button" class="button" onClick={() => setDraft(null)}>
                Undo changes
              </button>
            )}
          </div>
        </form>
      </details>

      <details class="section">
        <summary>Opening time</summary>
        <form class="grid-form" onSubmit={setOpening}>
          <label class="field">
            <span class="field__label">Opens at (your local time)</span>
            <input
              type="datetime-local"
              name="opensAt"
              value={opensAt}
              onInput={(event) => setOpensAt(event.currentTarget.value)}
            />
          </label>
          <div class="actions">
            <button type="submit" class="button button--primary" disabled={busy || !opensAt}>
              Set opening time
            </button>
            <button
              type="button"
              class="button"
              disabled={busy}
              onClick={async () => {
                if (await change({ opensAt: null }, 'Opening time cleared.')) setOpensAt('');
              }}
            >
              Clear opening time
            </button>
          </div>
        </form>
      </details>

      <details class="section">
        <summary>Revoke a user</summary>
        <form class="grid-form" onSubmit={revoke}>
          <label class="field">
            <span class="field__label">User id</span>
            <input name="userId" required value={userId} onInput={(event) => setUserId(event.currentTarget.value)} />
          </label>
          <div class="actions">
            <button type="submit" class="button button--danger" disabled={busy || !userId.trim()}>
              Revoke their place
            </button>
          </div>
        </form>
      </details>
    </article>
  );
}

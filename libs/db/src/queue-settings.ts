import type { Config } from '@concert/config';
import type { QueueSettings, QueueSettingsChange } from '@concert/contract';
import { inTransaction, rows, type Sql, type SqlExecutor } from './sql.js';
import { settleQueueDraw } from './queue-draw.js';

/** Settings a queue created without them takes (QUEUE_DEFAULT_* of the configuration). */
export type QueueDefaults = { maxActive: number; activeTtlSeconds: number; abandonAfterSeconds: number };

export const queueDefaultsOf = (config: Config): QueueDefaults => ({
  maxActive: config.QUEUE_DEFAULT_MAX_ACTIVE,
  activeTtlSeconds: config.QUEUE_DEFAULT_ACTIVE_TTL_SECONDS,
  abandonAfterSeconds: config.QUEUE_DEFAULT_ABANDON_AFTER_SECONDS,
});

type Row = {
  id: string;
  max_active: number;
  active_ttl_seconds: number;
  paused: boolean;
  admit_per_minute: number | null;
  opens_at: Date | null;
  abandon_after_seconds: number;
  max_active_per_seat: number | null;
};

/** Each setting's column, in one place. */
const COLUMNS: Record<keyof QueueSettingsChange, keyof Row> = {
  maxActive: 'max_active',
  activeTtlSeconds: 'active_ttl_seconds',
  paused: 'paused',
  admitPerMinute: 'admit_per_minute',
  opensAt: 'opens_at',
  abandonAfterSeconds: 'abandon_after_seconds',
  maxActivePerSeat: 'max_active_per_seat',
};
const SELECT = `id, ${Object.values(COLUMNS).join(', ')}`;

function toSettings(row: Row): QueueSettings {
  return {
    queueId: row.id,
    maxActive: row.max_active,
    activeTtlSeconds: row.active_ttl_seconds,
    paused: row.paused,
    admitPerMinute: row.admit_per_minute,
    opensAt: row.opens_at?.toISOString() ?? null,
    abandonAfterSeconds: row.abandon_after_seconds,
    maxActivePerSeat: row.max_active_per_seat,
  };
}

/**
 * Creates a queue (settings left out take the defaults) or changes the given settings of an
 * existing one, in one statement, so concurrent operators never lose each other's fields.
 */
export async function saveQueueSettings(
  on: SqlExecutor,
  queueId: string,
  change: QueueSettingsChange,
  defaults: QueueDefaults,
): Promise<{ settings: QueueSettings; created: boolean }> {
  const given = (Object.keys(COLUMNS) as (keyof QueueSettingsChange)[]).filter((name) => change[name] !== undefined);
  const initial: QueueSettings = {
    queueId,
    maxActive: defaults.maxActive,
    activeTtlSeconds: defaults.activeTtlSeconds,
    paused: false,
    admitPerMinute: null,
    opensAt: null,
    abandonAfterSeconds: defaults.abandonAfterSeconds,
    maxActivePerSeat: null,
    ...change,
  };
  const names = Object.keys(COLUMNS) as (keyof QueueSettingsChange)[];
  const values = names.map((name) => initial[name]);
  const updates = given.length
    ? given.map((name) => `${COLUMNS[name]} = EXCLUDED.${COLUMNS[name]}`).join(', ') + ', updated_at = now()'
    : 'updated_at = queue.updated_at';
  const [row] = await rows<Row & { created: boolean }>(
    on,
    `INSERT INTO queue (id, ${names.map((name) => COLUMNS[name]).join(', ')})
     VALUES ($1, ${names.map((_, i) => `$${i + 2}`).join(', ')})
     ON CONFLICT (id) DO UPDATE SET ${updates}
     RETURNING ${SELECT}, (xmax = 0) AS created`,
    [queueId, ...values],
  );
  return { settings: toSettings(row!), created: row!.created };
}

/** One queue's stored settings, or null when no such queue was ever configured. */
export async function findQueueSettings(on: SqlExecutor, queueId: string): Promise<QueueSettings | null> {
  const [row] = await rows<Row>(on, `SELECT ${SELECT} FROM queue WHERE id = $1`, [queueId]);
  return row ? toSettings(row) : null;
}

/** Every stored queue, by id. */
export async function listQueueSettings(on: SqlExecutor): Promise<QueueSettings[]> {
  return (await rows<Row>(on, `SELECT ${SELECT} FROM queue ORDER BY id`)).map(toSettings);
}

/**
 * What an operator's change of a queue writes durably, in one transaction: the settings, and the
 * lobby draw's seed kept in step with the opening (`freshSeed` for a new opening). The waiting
 * room's copy in Redis is written after, from what this returns (PostgreSQL is what a Redis that
 * lost the queue is restored from).
 */
export async function storeQueueSettings(
  sql: Sql,
  queueId: string,
  change: QueueSettingsChange,
  defaults: QueueDefaults,
  freshSeed: string,
): Promise<{ settings: QueueSettings; created: boolean; drawSeed: string | null }> {
  return inTransaction(sql, async (client) => {
    const saved = await saveQueueSettings(client, queueId, change, defaults);
    return { ...saved, drawSeed: await settleQueueDraw(client, queueId, freshSeed) };
  });
}

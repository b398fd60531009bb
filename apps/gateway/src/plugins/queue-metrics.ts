import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge } from 'prom-client';
import { observeOperations, outcomeOf, registerPoolMetrics, type OperationAnswer } from '@concert/http';
import type { QueueOverviewFigures, QueueTotals, WaitingRoom } from '@concert/queue';

/** At most this many queues are read per scrape (each is one read-only script). */
const MAX_QUEUES_PER_SCRAPE = 500;
/** Scrapes closer together than this (several Prometheus replicas) share one read of Redis. */
const FIGURES_MAX_AGE_MS = 1000;
/** The event stream's route; the stream counts as open from its request until the response closes. */
const EVENTS_ROUTE = '/queues/:queueId/tokens/me/events';

const QUEUE_STATUSES = ['LOBBY', 'OPEN', 'PAUSED', 'SOLD_OUT'] as const;

/**
 * What a scrape reads per queue: the public and operators' figures, and the totals counted where
 * they happen (admissions at join, leave, payment and tick; abandonments, revocations, expiries),
 * kept in the queue's stats hash by the waiting room's scripts.
 */
type QueueSnapshot = { queueId: string; figures: QueueOverviewFigures; totals: QueueTotals };

/** Reads every known queue's public figures (and totals), at most once per second. */
function createFiguresReader(waitingRoom: WaitingRoom) {
  let last: { at: number; snapshot: Promise<QueueSnapshot[]> } | undefined;
  async function read(): Promise<QueueSnapshot[]> {
    const queueIds = (await waitingRoom.queueIds()).sort().slice(0, MAX_QUEUES_PER_SCRAPE);
    const snapshots = await Promise.all(
      queueIds.map(async (queueId) => {
        const [figures, totals] = await Promise.all([waitingRoom.figures(queueId), waitingRoom.totals(queueId)]);
        return figures ? { queueId, figures, totals } : null;
      }),
    );
    return snapshots.filter((snapshot): snapshot is QueueSnapshot => snapshot !== null);
  }
  return () => {
    if (!last || Date.now() - last.at > FIGURES_MAX_AGE_MS) {
      last = { at: Date.now(), snapshot: read() };
      // A failed read is not kept: the next scrape tries again.
      last.snapshot.catch(() => (last = undefined));
    }
    return last.snapshot;
  };
}

/**
 * The waiting room's metrics on the gateway's `/metrics`: per-queue figures read from Redis at
 * scrape time (one read-only script per queue; every gateway instance reports the same figures,
 * so dashboards take `max by (queue)`), joins, polls and leaves by outcome, open event streams,
 * and the PostgreSQL pool.
 */
async function queueMetrics(app: FastifyInstance) {
  const registers = [app.metrics];
  const figuresOf = createFiguresReader(app.waitingRoom);

  /** A gauge per queue whose value comes from the figures, absent for a queue without one. */
  const figureGauge = (name: string, help: string, valueOf: (snapshot: QueueSnapshot) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ['queue'] as const,
      registers,
      async collect() {
        this.reset();
        let snapshots: QueueSnapshot[];
        try {
          snapshots = await figuresOf();
        } catch (err) {
          app.log.debug({ err: { message: (err as Error).message } }, 'queue figures unavailable for metrics');
          return;
        }
        for (const snapshot of snapshots) {
          const value = valueOf(snapshot);
          if (value !== null) this.set({ queue: snapshot.queueId }, value);
        }
      },
    });

  figureGauge('waiting_room_waiting', 'Fans waiting in line (after the opening)', (s) => s.figures.waiting);
  figureGauge('waiting_room_lobby', 'Fans in the lobby, before the opening', (s) => s.figures.lobby);
  figureGauge('waiting_room_active', 'Fans free to book right now', (s) => s.figures.active);
  figureGauge('waiting_room_max_active', 'The queue setting maxActive', (s) => s.figures.maxActive);
  figureGauge('waiting_room_paused', '1 while an operator has paused admission', (s) => (s.figures.paused ? 1 : 0));
  figureGauge(
    'waiting_room_admit_per_minute',
    'The queue setting admitPerMinute (absent when uncapped)',
    (s) => s.figures.admitPerMinute,
  );
  figureGauge(
    'waiting_room_admitted_last_minute',
    'Fans admitted in the last rolling minute (the measured admission rate, per minute)',
    (s) => s.figures.admittedLastMinute,
  );
  new Gauge({
    name: 'waiting_room_queue_status',
    help: 'The queue status: 1 for the current one of LOBBY, OPEN, PAUSED, SOLD_OUT, else 0',
    labelNames: ['queue', 'status'] as const,
    registers,
    async collect() {
      this.reset();
      const snapshots = await figuresOf().catch(() => []);
      for (const { queueId, figures } of snapshots) {
        for (const status of QUEUE_STATUSES)
          this.set({ queue: queueId, status }, figures.queueStatus === status ? 1 : 0);
      }
    },
  });

  // Counters read from Redis (they survive gateway restarts and count every instance's work).
  const totalCounter = (name: string, help: string, key: keyof QueueTotals) =>
    new Counter({
      name,
      help,
      labelNames: ['queue'] as const,
      registers,
      async collect() {
        this.reset();
        const snapshots = await figuresOf().catch(() => []);
        for (const { queueId, totals } of snapshots) this.inc({ queue: queueId }, totals[key]);
      },
    });
  totalCounter('waiting_room_admissions_total', 'Fans admitted (at join, leave, payment or tick)', 'admitted');
  totalCounter('waiting_room_abandonments_total', 'Waiting fans dropped for absence', 'abandoned');
  totalCounter('waiting_room_revocations_total', 'Tokens ended by an operator', 'revoked');
  totalCounter('waiting_room_expirations_total', 'Active turns that ran out', 'expired');

  const joins = new Counter({
    name: 'waiting_room_joins_total',
    help: 'Join requests by outcome: admitted (at once), waiting, rejoined (same token again), or the error code',
    labelNames: ['queue', 'outcome'] as const,
    registers,
  });
  const polls = new Counter({
    name: 'waiting_room_polls_total',
    help: 'Polls by outcome: waiting, active, or the error code',
    labelNames: ['queue', 'outcome'] as const,
    registers,
  });
  const leaves = new Counter({
    name: 'waiting_room_leaves_total',
    help: 'Leave requests by outcome: left, or the error code',
    labelNames: ['queue', 'outcome'] as const,
    registers,
  });
  // How this instance answered "where am I" (polls and streams): the share that cost Redis a call.
  const PLACEMENT_SOURCES = { snapshot: 'fromSnapshot', exact_rank: 'exactRank', redis: 'fromRedis' } as const;
  new Counter({
    name: 'waiting_room_placements_total',
    help: 'Placements answered by source: snapshot (no Redis call), exact_rank (near the front), redis (a status read)',
    labelNames: ['source'] as const,
    registers,
    collect() {
      this.reset();
      const counts = app.placements.counts();
      for (const [source, key] of Object.entries(PLACEMENT_SOURCES)) this.inc({ source }, counts[key]);
    },
  });
  new Counter({
    name: 'waiting_room_line_snapshot_reads_total',
    help: 'Line snapshots this instance read from Redis',
    registers,
    collect() {
      this.reset();
      this.inc(app.placements.counts().snapshots);
    },
  });
  const streams = new Gauge({
    name: 'waiting_room_event_streams',
    help: 'Placement event streams open on this instance',
    registers,
  });

  // Only a queue that answered 2xx names a series: unknown ids must not grow the label set.
  const queueOf = (answer: OperationAnswer) =>
    answer.statusCode < 400 ? ((answer.request.params as { queueId?: string }).queueId ?? '') : '';
  // The placement's status, read from the serialized body without parsing it (polls are the hot path).
  const isActive = (payload: unknown) => typeof payload === 'string' && payload.includes('"status":"ACTIVE"');

  observeOperations(app, {
    joinQueue: (answer) => {
      const success = answer.statusCode === 200 ? 'rejoined' : isActive(answer.payload) ? 'admitted' : 'waiting';
      joins.inc({ queue: queueOf(answer), outcome: outcomeOf(answer, success) });
    },
    pollToken: (answer) => {
      polls.inc({
        queue: queueOf(answer),
        outcome: outcomeOf(answer, isActive(answer.payload) ? 'active' : 'waiting'),
      });
    },
    leaveQueue: (answer) => leaves.inc({ queue: queueOf(answer), outcome: outcomeOf(answer, 'left') }),
  });

  app.addHook('onRequest', async (request: FastifyRequest, reply) => {
    if (request.routeOptions.url !== EVENTS_ROUTE) return;
    streams.inc();
    reply.raw.once('close', () => streams.dec());
  });

  registerPoolMetrics(app.metrics, app.sql);
}

export const queueMetricsPlugin = fp(queueMetrics, {
  name: 'queue-metrics',
  dependencies: ['metrics', 'waiting-room', 'database', 'placements'],
});

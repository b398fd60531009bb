import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * The worker's own figures, on its app's registry: what this process's ticks did. A queue's
 * totals whatever did them (joins, leaves and payments admit too) are counted by the scripts in
 * Redis: `waitingRoom.totals(queueId)`.
 */
export function createWorkerMetrics(registry: Registry) {
  return {
    admitted: new Counter({
      name: 'worker_admitted_total',
      help: "Tokens admitted by this worker's ticks (the queue's total: the waiting room's totals)",
      labelNames: ['queue'],
      registers: [registry],
    }),
    expiredTokens: new Counter({
      name: 'worker_expired_tokens_total',
      help: 'Active tokens whose time ran out, dropped by this worker',
      labelNames: ['queue'],
      registers: [registry],
    }),
    abandoned: new Counter({
      name: 'worker_abandoned_total',
      help: 'Waiting or lobby fans dropped by this worker for absence (no poll, no open stream)',
      labelNames: ['queue'],
      registers: [registry],
    }),
    lobbyPlaced: new Counter({
      name: 'worker_lobby_placed_total',
      help: 'Lobby fans put in line in the drawn order by this worker',
      labelNames: ['queue'],
      registers: [registry],
    }),
    releasedHolds: new Counter({
      name: 'worker_released_holds_total',
      help: 'Lapsed seat holds released',
      registers: [registry],
    }),
    outboxEffects: new Counter({
      name: 'worker_outbox_effects_total',
      help: 'Effects of committed transactions swept from the outbox (applied, unless their request had already)',
      registers: [registry],
    }),
    correctedSeatFigures: new Counter({
      name: 'worker_corrected_seat_figures_total',
      help: 'Queues whose seats-left figures the reconciliation found different from PostgreSQL',
      registers: [registry],
    }),
    forgottenTokens: new Counter({
      name: 'worker_forgotten_tokens_total',
      help: 'Abandoned waiting tokens removed',
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'worker_job_duration_seconds',
      help: 'Duration of each job run (a tick is one admit-queues run)',
      // Not `job`: Prometheus sets `job` on every target, and with honorLabels ours would overwrite it.
      labelNames: ['job_name', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    }),
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;

import { Counter, Histogram, type Registry } from 'prom-client';

/** The worker's own figures, on its app's registry. */
export function createWorkerMetrics(registry: Registry) {
  return {
    admitted: new Counter({
      name: 'worker_admitted_total',
      help: 'Tokens admitted from the line',
      labelNames: ['queue'],
      registers: [registry],
    }),
    expiredTokens: new Counter({
      name: 'worker_expired_tokens_total',
      help: 'Active tokens whose time ran out',
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
      labelNames: ['job', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    }),
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;

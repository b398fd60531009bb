import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { registerPoolMetrics } from '@concert/http';

/**
 * BullMQ's own Prometheus exporter on the worker's `/metrics` (jobs by state; completed and
 * failed totals, which the jobs plugin's Worker records), labelled with `service` like every
 * other metric; and the PostgreSQL pool.
 */
async function jobMetrics(app: FastifyInstance) {
  app.addMetricsSource({
    name: 'bullmq',
    collect: () => app.jobQueue.exportPrometheusMetrics({ service: 'worker' }),
  });
  registerPoolMetrics(app.metrics, app.sql);
}

export const jobMetricsPlugin = fp(jobMetrics, { name: 'job-metrics', dependencies: ['jobs', 'metrics', 'database'] });

import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Type } from 'typebox';

/**
 * A dependency, checked on `/health/ready`: resolves when reachable, throws when not. A
 * `critical: false` one is reported but does not make the service unready (it can still serve
 * most of its traffic without it).
 */
export type HealthCheck = { name: string; check: () => Promise<unknown>; critical?: boolean };

export type Readiness = { ready: boolean; checks: Record<string, 'up' | 'down'> };

declare module 'fastify' {
  interface FastifyInstance {
    /** Runs the readiness checks (what `/health/ready` answers; the metrics plugin exports it too). */
    checkReadiness(): Promise<Readiness>;
  }
}

// Well under an orchestrator's probe timeout, so a hung dependency reads as down in time.
const CHECK_TIMEOUT_MS = 1000;

const readyBody = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  checks: Type.Record(Type.String(), Type.Union([Type.Literal('up'), Type.Literal('down')])),
});

async function runCheck({ check }: HealthCheck): Promise<'up' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return 'up';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

/** `/health/live` (the process answers) and `/health/ready` (its dependencies answer, else 503). */
async function health(app: FastifyInstance, opts: { checks: HealthCheck[] }) {
  app.decorate('checkReadiness', async (): Promise<Readiness> => {
    const results = await Promise.all(opts.checks.map(async (c) => [c.name, await runCheck(c)] as const));
    const ready = results.every(([, state], i) => state === 'up' || opts.checks[i]!.critical === false);
    return { ready, checks: Object.fromEntries(results) };
  });

  app.get(
    '/health/live',
    {
      schema: {
        operationId: 'getLiveness',
        summary: 'The process answers (liveness probe)',
        tags: ['health'],
        security: [],
        response: { 200: Type.Object({ status: Type.Literal('ok') }, { description: 'Alive' }) },
      },
      logLevel: 'warn',
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/health/ready',
    {
      schema: {
        operationId: 'getReadiness',
        summary: 'Its dependencies answer (readiness probe)',
        tags: ['health'],
        security: [],
        response: {
          200: { ...readyBody, description: 'Ready: every critical dependency answers' },
          503: { ...readyBody, description: 'Not ready: a critical dependency is down' },
        },
      },
      logLevel: 'warn',
    },
    async (_request, reply) => {
      const { ready, checks } = await app.checkReadiness();
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', checks });
    },
  );
}

export const healthPlugin = fp(health, { name: 'health', fastify: '5.x' });

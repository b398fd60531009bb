import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Type } from 'typebox';

/** A dependency the service cannot serve without; resolves when reachable, throws when not. */
export type HealthCheck = { name: string; check: () => Promise<unknown> };

const CHECK_TIMEOUT_MS = 2000;

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
  app.get(
    '/health/live',
    { schema: { tags: ['health'], response: { 200: Type.Object({ status: Type.Literal('ok') }) } }, logLevel: 'warn' },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/health/ready',
    { schema: { tags: ['health'], response: { 200: readyBody, 503: readyBody } }, logLevel: 'warn' },
    async (_request, reply) => {
      const results = await Promise.all(opts.checks.map(async (c) => [c.name, await runCheck(c)] as const));
      const ready = results.every(([, state]) => state === 'up');
      return reply
        .code(ready ? 200 : 503)
        .send({ status: ready ? 'ok' : 'unavailable', checks: Object.fromEntries(results) });
    },
  );
}

export const healthPlugin = fp(health, { name: 'health', fastify: '5.x' });

import { AsyncResource } from 'node:async_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { createSqlPool, withDatabaseBudget, type PoolOptions, type Sql } from './sql.js';

declare module 'fastify' {
  interface FastifyInstance {
    sql: Sql;
  }
}

/**
 * Decorates the app with the shared pg pool (`sql`), ended when the app closes. The apps run
 * their SQL on it directly; Prisma is for scripts and tests (`connectDatabase`).
 */
async function database(
  app: FastifyInstance,
  opts: {
    databaseUrl: string;
    /**
     * Give each request one budget for all its database work (see giveRequestsABudget); default
     * true. The budget rides on AsyncLocalStorage, which on Node 20 makes every promise of the
     * process pay for async hooks: a process whose hot routes never touch PostgreSQL (the
     * gateway) does without it, its statements bounded one by one.
     */
    requestBudget?: boolean;
  } & Omit<PoolOptions, 'onConnectionError'>,
) {
  const { databaseUrl, requestBudget = true, ...poolOptions } = opts;
  const sql = createSqlPool(databaseUrl, {
    ...poolOptions,
    onConnectionError: (err) => app.log.warn({ err: { message: err.message } }, 'postgres connection lost'),
  });
  app.decorate('sql', sql);
  app.addHook('onClose', async () => {
    await sql.end().catch(() => {});
  });
  if (requestBudget && opts.statementTimeoutMs) giveRequestsABudget(app, opts.statementTimeoutMs);
}

/**
 * Every request gets `budgetMs` for all its database work together (waiting for a connection and
 * every statement, from its first call to the database): once it is spent, the request answers
 * 503 instead of adding up per-statement timeouts. The budget rides on the request's async
 * context until the answer has started; the body is read in the socket's context, so the
 * request's context is entered again before validation.
 */
function giveRequestsABudget(app: FastifyInstance, budgetMs: number) {
  const contexts = new WeakMap<FastifyRequest, AsyncResource>();
  app.addHook('onRequest', (request, reply, done) => {
    withDatabaseBudget(
      budgetMs,
      () => {
        contexts.set(request, new AsyncResource('database-budget'));
        done();
      },
      () => reply.raw.headersSent,
    );
  });
  app.addHook('preValidation', (request, _reply, done) => {
    const context = contexts.get(request);
    if (context) context.runInAsyncScope(done);
    else done();
  });
}

export const databasePlugin = fp(database, { name: 'database', fastify: '5.x' });

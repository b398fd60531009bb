import { AsyncResource } from 'node:async_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { connectDatabase, type Db } from './client.js';
import { withDatabaseBudget, type Sql } from './sql.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
    sql: Sql;
  }
}

/** Decorates the app with Prisma (`db`) and the shared pg pool (`sql`), closed when the app closes. */
async function database(
  app: FastifyInstance,
  opts: {
    databaseUrl: string;
    poolSize: number;
    connectTimeoutMs: number;
    statementTimeoutMs?: number;
    preparedStatements?: boolean;
  },
) {
  const { db, sql, close } = connectDatabase(opts.databaseUrl, {
    poolSize: opts.poolSize,
    connectTimeoutMs: opts.connectTimeoutMs,
    statementTimeoutMs: opts.statementTimeoutMs,
    preparedStatements: opts.preparedStatements,
    onConnectionError: (err) => app.log.warn({ err: { message: err.message } }, 'postgres connection lost'),
  });
  app.decorate('db', db);
  app.decorate('sql', sql);
  app.addHook('onClose', close);
  if (opts.statementTimeoutMs) giveRequestsABudget(app, opts.statementTimeoutMs);
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

import { AsyncResource } from 'node:async_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { connectDatabase, type Db } from './client.js';
import { withDatabaseDeadline, type Sql } from './sql.js';

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
  if (opts.statementTimeoutMs) giveRequestsADeadline(app, opts.statementTimeoutMs);
}

/**
 * Every request gets `budgetMs` from its arrival for all its database work together (waiting for
 * a connection and every statement): past it, it answers 503 instead of adding up per-statement
 * timeouts. The deadline rides on the request's async context; the body is read in the socket's
 * context, so the request's context is entered again before validation.
 */
function giveRequestsADeadline(app: FastifyInstance, budgetMs: number) {
  const contexts = new WeakMap<FastifyRequest, AsyncResource>();
  app.addHook('onRequest', (request, _reply, done) => {
    withDatabaseDeadline(Date.now() + budgetMs, () => {
      contexts.set(request, new AsyncResource('database-deadline'));
      done();
    });
  });
  app.addHook('preValidation', (request, _reply, done) => {
    const context = contexts.get(request);
    if (context) context.runInAsyncScope(done);
    else done();
  });
}

export const databasePlugin = fp(database, { name: 'database', fastify: '5.x' });

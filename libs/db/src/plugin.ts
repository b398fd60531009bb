import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { connectDatabase, type Db } from './client.js';
import type { Sql } from './sql.js';

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
}

export const databasePlugin = fp(database, { name: 'database', fastify: '5.x' });

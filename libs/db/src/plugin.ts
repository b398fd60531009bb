import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createSqlPool, type PoolOptions, type Sql } from './sql.js';

declare module 'fastify' {
  interface FastifyInstance {
    sql: Sql;
  }
}

/**
 * Decorates the app with the shared pg pool (`sql`), ended when the app closes. The apps run
 * their SQL on it directly; Prisma is for scripts and tests (`connectDatabase`).
 */
async function database(app: FastifyInstance, opts: { databaseUrl: string } & Omit<PoolOptions, 'onConnectionError'>) {
  const { databaseUrl, ...poolOptions } = opts;
  const sql = createSqlPool(databaseUrl, {
    ...poolOptions,
    onConnectionError: (err) => app.log.warn({ err: { message: err.message } }, 'postgres connection lost'),
  });
  app.decorate('sql', sql);
  app.addHook('onClose', async () => {
    await sql.end().catch(() => {});
  });
}

export const databasePlugin = fp(database, { name: 'database', fastify: '5.x' });

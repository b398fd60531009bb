import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createDatabase, type Db } from './client.js';
import type { Sql } from './sql.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
    sql: Sql;
  }
}

/** Decorates the app with Prisma (`db`) and the shared pg pool (`sql`), closed when the app closes. */
async function database(app: FastifyInstance, opts: { databaseUrl: string; poolSize: number }) {
  const { db, sql, close } = createDatabase(opts.databaseUrl, { poolSize: opts.poolSize });
  app.decorate('db', db);
  app.decorate('sql', sql);
  app.addHook('onClose', close);
}

export const prismaPlugin = fp(database, { name: 'prisma', fastify: '5.x' });

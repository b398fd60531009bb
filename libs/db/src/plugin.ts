import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createPrismaClient, type Db } from './client.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
  }
}

/** Decorates the app with a Prisma client, disconnected when the app closes. */
async function prisma(app: FastifyInstance, opts: { databaseUrl: string; poolSize: number }) {
  const db = createPrismaClient(opts.databaseUrl, { poolSize: opts.poolSize });
  app.decorate('db', db);
  app.addHook('onClose', async () => {
    await db.$disconnect();
  });
}

export const prismaPlugin = fp(prisma, { name: 'prisma', fastify: '5.x' });

import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client.js';

/** A Prisma client on the `pg` driver adapter (Prisma 7's Wasm engine: no native binary). */
export function createPrismaClient(databaseUrl: string, opts: { poolSize?: number } = {}) {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: opts.poolSize ?? 10 });
  return new PrismaClient({ adapter });
}

export type Db = ReturnType<typeof createPrismaClient>;
/** What a use case's writes run on: the client itself or the transaction it is part of. */
export type DbTransaction = Parameters<Parameters<Db['$transaction']>[0]>[0];

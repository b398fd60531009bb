import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { connectDatabase, migrate, readMigrations, type Db, type Sql } from '@concert/db';
import { createHash } from 'node:crypto';

const TEMPLATE_LOCK_ID = 7_240_112_028;

function withDatabase(serverUrl: string, name: string) {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The migrated template's name changes with the migrations, so an edit never reuses a stale one. */
function templateName() {
  const digest = createHash('sha256');
  for (const migration of readMigrations()) digest.update(migration.name).update(migration.checksum);
  return `concert_test_tpl_${digest.digest('hex').slice(0, 16)}`;
}

async function withAdmin<T>(serverUrl: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** Creates (once, under a lock) a database with every migration applied, to clone test databases from. */
export async function ensureTemplateDatabase(serverUrl: string): Promise<string> {
  const name = templateName();
  await withAdmin(serverUrl, async (admin) => {
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_ID]);
    try {
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (rowCount) return;
      const building = `${name}_building`;
      await admin.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
      await admin.query(`CREATE DATABASE "${building}"`);
      await migrate({ databaseUrl: withDatabase(serverUrl, building) });
      // Renamed only when complete: a crash mid-way never leaves a half-migrated template.
      await admin.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK_ID]);
    }
  });
  return name;
}

export type TestDatabase = { url: string; name: string; db: Db; sql: Sql; drop(): Promise<void> };

/** A fresh, migrated database of its own for one test file (a copy of the template: fast). */
export async function createTestDatabase(serverUrl: string, opts: { poolSize?: number } = {}): Promise<TestDatabase> {
  const template = await ensureTemplateDatabase(serverUrl);
  const name = `concert_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(serverUrl, async (admin) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
        return;
      } catch (error) {
        // Two files cloning the template at the same instant: PostgreSQL refuses one; try again.
        if (attempt >= 20 || !/being accessed by other users/.test((error as Error).message)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
      }
    }
  });
  const url = withDatabase(serverUrl, name);
  const { db, sql, close } = connectDatabase(url, { poolSize: opts.poolSize ?? 20 });
  return {
    url,
    name,
    db,
    sql,
    async drop() {
      await close();
      await withAdmin(serverUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

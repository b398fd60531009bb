import { cpSync, mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import pg from 'pg';
import { dropDatabase, ensureDatabase, migrate, MIGRATIONS_DIR, readMigrations } from '../src/index.js';
import { resolveTestServices } from '@concert/test-services';

async function freshDatabaseUrl(t: Test) {
  const { databaseUrl } = await resolveTestServices();
  const url = new URL(databaseUrl);
  url.pathname = `/concert_migrate_${Math.random().toString(36).slice(2, 10)}`;
  const created = await ensureDatabase(url.toString());
  t.ok(created, 'a new database is created when missing');
  t.teardown(() => dropDatabase(url.toString()));
  return url.toString();
}

async function query<T extends pg.QueryResultRow>(databaseUrl: string, sql: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

t.test('applies pending migrations once, recorded the way Prisma Migrate records them', async (t) => {
  const databaseUrl = await freshDatabaseUrl(t);
  t.notOk(await ensureDatabase(databaseUrl), 'ensureDatabase is idempotent');
  const files = readMigrations();
  const results = await Promise.all([migrate({ databaseUrl }), migrate({ databaseUrl }), migrate({ databaseUrl })]);
  t.same(
    results.flat().sort(),
    files.map((f) => f.name).sort(),
    'three concurrent runs applied each migration exactly once',
  );
  t.same(await migrate({ databaseUrl }), [], 'nothing pending afterwards');

  const rows = await query<{
    migration_name: string;
    checksum: string;
    finished_at: Date;
    applied_steps_count: number;
  }>(
    databaseUrl,
    'SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name',
  );
  t.equal(rows.length, files.length);
  for (const [i, file] of files.entries()) {
    const expected = createHash('sha256').update(file.sql).digest('hex');
    t.match(rows[i], { migration_name: file.name, checksum: expected, applied_steps_count: 1 });
    t.ok(rows[i]!.finished_at, 'finished');
  }
  const tables = await query<{ table_name: string }>(
    databaseUrl,
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
  );
  t.same(
    tables.map((r) => r.table_name),
    [
      '_prisma_migrations',
      'concert',
      'idempotency_record',
      'outbox_effect',
      'payment',
      'point_balance',
      'point_transaction',
      'queue',
      'reservation',
      'schedule',
      'seat',
    ],
  );
});

t.test('refuses loudly when an applied migration was edited', async (t) => {
  const databaseUrl = await freshDatabaseUrl(t);
  const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  await migrate({ databaseUrl, dir });
  const [first] = readMigrations(dir);
  writeFileSync(join(dir, first!.name, 'migration.sql'), `${first!.sql}\n-- edited afterwards\n`);
  await t.rejects(migrate({ databaseUrl, dir }), {
    name: 'MigrationError',
    message: /was changed after it was applied/,
  });
});

t.test('a failing migration is rolled back whole and reported', async (t) => {
  const databaseUrl = await freshDatabaseUrl(t);
  const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  mkdirSync(join(dir, '29990101000000_broken'));
  writeFileSync(
    join(dir, '29990101000000_broken', 'migration.sql'),
    'CREATE TABLE half_done (id int);\nSELECT no_such_function();\n',
  );
  await t.rejects(migrate({ databaseUrl, dir }), {
    name: 'MigrationError',
    message: /29990101000000_broken failed and was rolled back/,
  });
  const leftovers = await query(databaseUrl, "SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'");
  t.equal(leftovers.length, 0, 'nothing half-written survives');
  const recorded = await query(
    databaseUrl,
    "SELECT 1 FROM _prisma_migrations WHERE migration_name = '29990101000000_broken'",
  );
  t.equal(recorded.length, 0, 'and it is not recorded as applied');
  t.same(await migrate({ databaseUrl }), [], 'the good migrations before it stay applied');
});

import { defineConfig } from 'prisma/config';

// The CLI is used offline here only for `prisma generate`; migrations are applied by our own
// engine-free runner (`npm run db:migrate`, libs/db/src/migrate.ts) that keeps Prisma's layout.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: {
    url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/concert',
  },
});

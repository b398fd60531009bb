// tap's `before` script: build the migrated template database once for the whole run.
import { resolveTestServices } from '@concert/test-services';
import { ensureTemplateDatabase } from './database.js';

const services = await resolveTestServices();
await ensureTemplateDatabase(services.databaseUrl);
console.log(
  `# test services (${services.source}): ${new URL(services.databaseUrl).host} and ${new URL(services.redisUrl).host}`,
);

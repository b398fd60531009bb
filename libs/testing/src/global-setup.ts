// tap's `before` script: find the services once, build the migrated template database once.
import { publishTestServices } from '@concert/test-services';
import { ensureTemplateDatabase } from './database.js';

const services = await publishTestServices();
await ensureTemplateDatabase(services.databaseUrl);
console.log(
  `# test services (${services.source}): ${new URL(services.databaseUrl).host} and ${new URL(services.redisUrl).host}`,
);

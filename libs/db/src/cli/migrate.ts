import { loadConfigOrExit } from '@concert/config';
import { migrate } from '../migrate.js';

const config = loadConfigOrExit();
try {
  const applied = await migrate({ databaseUrl: config.DATABASE_URL, log: (line) => console.log(line) });
  console.log(applied.length ? `${applied.length} migration(s) applied` : 'database schema is up to date');
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}

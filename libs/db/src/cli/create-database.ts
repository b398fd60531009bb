import { loadConfigOrExit } from '@concert/config';
import { ensureDatabase } from '../create-database.js';

const config = loadConfigOrExit();
const created = await ensureDatabase(config.DATABASE_URL);
console.log(created ? `created database ${new URL(config.DATABASE_URL).pathname.slice(1)}` : 'database exists');

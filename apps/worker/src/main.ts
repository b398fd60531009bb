import { loadConfigOrExit } from '@concert/config';
import { createServer, listen } from '@concert/http';
import worker from './app.js';
import { checkWorkerConfig } from './plugins/jobs-board.js';

const config = loadConfigOrExit(process.env, checkWorkerConfig);
const app = createServer(config, 'worker');
await app.register(worker, { config });
// SIGTERM: stop taking jobs, finish the one in hand, close connections (see plugins/jobs.ts).
await listen(app, { port: config.WORKER_PORT, host: config.HOST, graceMs: 30_000 });

import { loadConfigOrExit } from '@concert/config';
import { createServer, listen } from '@concert/http';
import web, { checkWebConfig } from './app.js';

const config = loadConfigOrExit(process.env, checkWebConfig);
const app = createServer(config, 'web');
await app.register(web, { config });
await listen(app, { port: config.WEB_PORT, host: config.HOST });

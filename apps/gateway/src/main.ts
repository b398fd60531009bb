import { loadConfigOrExit } from '@concert/config';
import { createServer, listen } from '@concert/http';
import gateway, { checkGatewayConfig } from './app.js';

const { config } = loadConfigOrExit(process.env, checkGatewayConfig);
const app = createServer(config, 'gateway');
await app.register(gateway, { config });
await listen(app, { port: config.GATEWAY_PORT, host: config.HOST });

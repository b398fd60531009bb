import { loadConfigOrExit } from '@concert/config';
import { createServer, listen } from '@concert/http';
import booking, { checkBookingConfig } from './app.js';

const { config } = loadConfigOrExit(process.env, checkBookingConfig);
const app = createServer(config, 'booking');
await app.register(booking, { config });
await listen(app, { port: config.BOOKING_PORT, host: config.HOST });

import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '@concert/config';
import { docsPlugin, errorHandlerPlugin, healthPlugin, metricsPlugin } from '@concert/http';
import { waitingRoomFastifyPlugin, waitingRoomOptions } from '@concert/queue';
import { loadSigningKey, queueTokensPlugin } from '@concert/tokens';
import queueRoutes from './routes/queues.js';
import adminRoutes from './routes/admin.js';
import jwksRoutes from './routes/jwks.js';

export type GatewayOptions = { config: Config };

/** The gateway: the waiting room's HTTP face. Everything it knows lives in Redis. */
async function gateway(app: FastifyInstance, { config }: GatewayOptions) {
  if (!config.ADMIN_API_KEY) {
    throw new Error('ADMIN_API_KEY is required by the gateway (npm start sets a local one; set your own elsewhere)');
  }

  await app.register(errorHandlerPlugin);
  await app.register(metricsPlugin, { serviceName: 'gateway' });
  await app.register(docsPlugin, {
    title: 'Waiting room gateway',
    description: 'Join the line, poll your place, leave; queue settings for operators.',
    securitySchemes: {
      queueToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      adminKey: { type: 'apiKey', in: 'header', name: 'X-Admin-Key' },
    },
  });

  await app.register(waitingRoomFastifyPlugin, waitingRoomOptions(config));
  await app.register(queueTokensPlugin, {
    key: loadSigningKey(config),
    ttlSeconds: config.TOKEN_TTL_SECONDS,
    verifyCacheSize: config.TOKEN_VERIFY_CACHE_SIZE,
  });
  await app.register(healthPlugin, { checks: [{ name: 'redis', check: () => app.redis.ping() }] });

  await app.register(queueRoutes);
  await app.register(jwksRoutes);
  await app.register(adminRoutes, { adminApiKey: config.ADMIN_API_KEY });
}

// Not encapsulated, so that tests (and main) see the decorators the app adds: app.waitingRoom, ...
export default fp(gateway, { name: 'gateway-app', fastify: '5.x' });

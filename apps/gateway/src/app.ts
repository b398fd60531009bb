import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { checkAll, requireSettings, type Config } from '@concert/config';
import { docsPlugin, errorHandlerPlugin, frontDoorPlugin, healthPlugin, metricsPlugin } from '@concert/http';
import { redisWriteCheck, waitingRoomFastifyPlugin, waitingRoomOptions } from '@concert/queue';
import { gatewayTokensOptions, tokensPlugin } from '@concert/tokens';
import { databasePlugin, findQueueDrawSeed, findQueueSettings } from '@concert/db';
import { eventStreamsPlugin } from './plugins/event-streams.js';
import { placementsPlugin } from './plugins/placements.js';
import queueRoutes from './routes/queues.js';
import adminRoutes from './routes/admin.js';
import keyRoutes from './routes/keys.js';
import devIdentityRoutes from './routes/dev-identity.js';
import { queueMetricsPlugin } from './plugins/queue-metrics.js';

export type GatewayOptions = { config: Config };

/** The gateway's own needs beyond the defaults; throws ConfigError naming what is missing. */
export function checkGatewayConfig(config: Config) {
  const [, tokens] = checkAll(
    () =>
      requireSettings(config, [
        {
          settings: 'ADMIN_API_KEY',
          why: 'operators change queue settings with it (npm start sets a local one)',
          satisfied: (c) => Boolean(c.ADMIN_API_KEY),
        },
      ]),
    () => gatewayTokensOptions(config),
  );
  return { config, tokens };
}

// A few connections are plenty: the gateway reads PostgreSQL only for admin calls and to restore
// a queue Redis lost; joins and polls never touch it.
const GATEWAY_POOL_SIZE = 4;

/** The gateway: the waiting room's HTTP face. Its working state lives in Redis. */
async function gateway(app: FastifyInstance, { config }: GatewayOptions) {
  const { tokens } = checkGatewayConfig(config);

  await app.register(errorHandlerPlugin, { checkAnswers: config.CONTRACT_CHECK });
  await app.register(metricsPlugin, { serviceName: 'gateway' });
  await app.register(docsPlugin, {
    title: 'Waiting room gateway',
    description:
      'Join the line with an identity token, follow your place (poll or event stream), leave; queue settings ' +
      'for operators; the public keys of queue tokens.',
    serverUrl: config.PUBLIC_GATEWAY_URL ?? `http://localhost:${config.GATEWAY_PORT}`,
    securitySchemes: {
      identityToken: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: "The identity provider's token",
      },
      queueToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The queue token from a join' },
      adminKey: { type: 'apiKey', in: 'header', name: 'X-Admin-Key' },
    },
    tags: [
      { name: 'queue', description: "A fan's place in line" },
      { name: 'identity', description: 'Development sign-in' },
      { name: 'admin', description: 'Operators' },
      { name: 'tokens', description: 'Keys' },
      { name: 'health', description: 'Probes' },
    ],
  });

  await app.register(databasePlugin, {
    databaseUrl: config.DATABASE_URL,
    poolSize: GATEWAY_POOL_SIZE,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
    // Joins and polls never touch PostgreSQL: no per-request budget (and its async hooks) for them.
    requestBudget: false,
  });
  await app.register(
    waitingRoomFastifyPlugin,
    waitingRoomOptions(config, async (queueId) => {
      const settings = await findQueueSettings(app.sql, queueId);
      return settings && { ...settings, drawSeed: await findQueueDrawSeed(app.sql, queueId) };
    }),
  );
  await app.register(placementsPlugin, { config });
  await app.register(eventStreamsPlugin, { config });
  await app.register(frontDoorPlugin, {
    corsOrigins: config.CORS_ORIGINS,
    redis: app.redis,
    redisPrefix: config.REDIS_PREFIX,
    maxEventLoopDelayMs: config.MAX_EVENT_LOOP_DELAY_MS,
  });
  await app.register(tokensPlugin, tokens);
  await app.register(healthPlugin, {
    checks: [
      { name: 'redis', check: redisWriteCheck(app.redis, config.REDIS_PREFIX) },
      // Joins and polls work without it; only admin calls and restoring a lost queue need it.
      { name: 'postgres', check: () => app.sql.query('SELECT 1'), critical: false },
    ],
  });

  await app.register(queueMetricsPlugin);
  await app.register(queueRoutes, { config });
  await app.register(keyRoutes);
  await app.register(adminRoutes, { config });
  if (app.devIdentity) {
    app.log.warn('DEV_IDENTITY=true: POST /dev/identity signs anyone in as anyone. Never in production.');
    await app.register(devIdentityRoutes, { config });
  }
}

// Not encapsulated, so that tests (and main) see the decorators the app adds: app.waitingRoom, ...
export default fp(gateway, { name: 'gateway-app', fastify: '5.x' });

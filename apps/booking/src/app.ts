import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '@concert/config';
import { docsPlugin, errorHandlerPlugin, frontDoorPlugin, healthPlugin, metricsPlugin } from '@concert/http';
import { redisWriteCheck, waitingRoomFastifyPlugin, waitingRoomOptions } from '@concert/queue';
import { bookingTokensOptions, tokensPlugin } from '@concert/tokens';
import { databasePlugin } from '@concert/db';
import { concertsPlugin } from './plugins/concerts.js';
import { fanGuardPlugin } from './plugins/fan-guard.js';
import { idempotencyPlugin } from './plugins/idempotency.js';
import { businessMetricsPlugin } from './plugins/business-metrics.js';
import { effectsPlugin } from './plugins/effects.js';
import concertRoutes from './routes/concerts.js';
import reservationRoutes from './routes/reservations.js';
import pointRoutes from './routes/points.js';
import paymentRoutes from './routes/payments.js';
import adminRoutes from './routes/admin.js';

export type BookingOptions = { config: Config };

/** Booking's own needs beyond the defaults; throws ConfigError naming what is missing. */
export function checkBookingConfig(config: Config) {
  return { config, tokens: bookingTokensOptions(config) };
}

/**
 * Booking: dates, seats, holds, points, payments and refunds, for fans admitted by the waiting
 * room; it keeps each queue's seats-left figures in Redis for the waiting room.
 */
async function booking(app: FastifyInstance, { config }: BookingOptions) {
  const { tokens } = checkBookingConfig(config);

  await app.register(errorHandlerPlugin, { checkAnswers: config.CONTRACT_CHECK });
  await app.register(metricsPlugin, { serviceName: 'booking' });
  await app.register(docsPlugin, {
    title: 'Concert booking',
    description:
      'Dates, seats, 5-minute holds, points and payments for fans the waiting room admitted (a queue token), ' +
      'and each fan’s own records and refunds (a queue token or an identity token).',
    serverUrl: config.PUBLIC_BOOKING_URL ?? `http://localhost:${config.BOOKING_PORT}`,
    securitySchemes: {
      queueToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The queue token from a join' },
      identityToken: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: "The identity provider's token",
      },
      adminKey: { type: 'apiKey', in: 'header', name: 'X-Admin-Key' },
    },
    tags: [
      { name: 'concerts', description: 'Concerts, dates and seats' },
      { name: 'reservations', description: 'Holds and my reservations' },
      { name: 'points', description: 'Balance and ledger' },
      { name: 'payments', description: 'Payments, my payments, refunds' },
      { name: 'admin', description: 'Operators' },
      { name: 'health', description: 'Probes' },
    ],
  });

  await app.register(databasePlugin, {
    databaseUrl: config.DATABASE_URL,
    poolSize: config.DATABASE_POOL_SIZE,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
  });
  await app.register(waitingRoomFastifyPlugin, waitingRoomOptions(config));
  await app.register(frontDoorPlugin, {
    corsOrigins: config.CORS_ORIGINS,
    redis: app.redis,
    redisPrefix: config.REDIS_PREFIX,
    maxEventLoopDelayMs: config.MAX_EVENT_LOOP_DELAY_MS,
  });
  // Public keys only: booking can check tokens but never mint one.
  await app.register(tokensPlugin, tokens);
  await app.register(concertsPlugin);
  await app.register(fanGuardPlugin);
  await app.register(idempotencyPlugin);
  await app.register(effectsPlugin, { prefix: config.REDIS_PREFIX });
  await app.register(healthPlugin, {
    checks: [
      { name: 'postgres', check: () => app.sql.query('SELECT 1') },
      { name: 'redis', check: redisWriteCheck(app.redis, config.REDIS_PREFIX) },
    ],
  });

  await app.register(businessMetricsPlugin);
  await app.register(concertRoutes, { config });
  await app.register(reservationRoutes, { config });
  await app.register(pointRoutes, { config });
  await app.register(paymentRoutes, { config });
  await app.register(adminRoutes, { config });
}

export default fp(booking, { name: 'booking-app', fastify: '5.x' });

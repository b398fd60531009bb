import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '@concert/config';
import { docsPlugin, errorHandlerPlugin, healthPlugin, metricsPlugin } from '@concert/http';
import { waitingRoomFastifyPlugin, waitingRoomOptions } from '@concert/queue';
import { loadVerificationKey, queueTokensPlugin } from '@concert/tokens';
import { prismaPlugin } from '@concert/db';
import { concertsPlugin } from './plugins/concerts.js';
import { tokenGuardPlugin } from './plugins/token-guard.js';
import concertRoutes from './routes/concerts.js';
import reservationRoutes from './routes/reservations.js';
import pointRoutes from './routes/points.js';
import paymentRoutes from './routes/payments.js';

export type BookingOptions = { config: Config };

/** Booking: dates, seats, holds, points and payments, for fans admitted by the waiting room. */
async function booking(app: FastifyInstance, { config }: BookingOptions) {
  await app.register(errorHandlerPlugin);
  await app.register(metricsPlugin, { serviceName: 'booking' });
  await app.register(docsPlugin, {
    title: 'Concert booking',
    description: 'Dates, seats, 5-minute holds, points and payments. Needs a queue token from the gateway.',
    securitySchemes: { queueToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
  });

  await app.register(prismaPlugin, { databaseUrl: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE });
  await app.register(waitingRoomFastifyPlugin, waitingRoomOptions(config));
  // Public key only: booking can check tokens but never mint one.
  await app.register(queueTokensPlugin, {
    key: loadVerificationKey(config),
    ttlSeconds: config.TOKEN_TTL_SECONDS,
    verifyCacheSize: config.TOKEN_VERIFY_CACHE_SIZE,
  });
  await app.register(concertsPlugin);
  await app.register(tokenGuardPlugin);
  await app.register(healthPlugin, {
    checks: [
      { name: 'postgres', check: () => app.db.$queryRaw`SELECT 1` },
      { name: 'redis', check: () => app.redis.ping() },
    ],
  });

  await app.register(concertRoutes, { config });
  await app.register(reservationRoutes);
  await app.register(pointRoutes, { config });
  await app.register(paymentRoutes, { config });
}

export default fp(booking, { name: 'booking-app', fastify: '5.x' });

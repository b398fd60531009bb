import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorResponses } from '@concert/http';
import { holdSeat, listConcerts, listSchedules, listSeats } from '@concert/booking-domain';
import type { Config } from '@concert/config';
import { bearer } from '../schemas/common.js';
import { concertList, concertParams, scheduleList, scheduleParams, seatList } from '../schemas/concerts.js';
import { holdBody, reservation } from '../schemas/reservations.js';

const guardErrors = errorResponses(400, 401, 403, 404);

/** Concerts (public), and their dates, seats and holds (an ACTIVE token of the concert's queue). */
export default async function concertRoutes(fastify: FastifyInstance, opts: { config: Config }) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/concerts',
    {
      schema: {
        tags: ['concerts'],
        summary: 'Concerts and the queue to join for each',
        response: { 200: concertList },
      },
    },
    async () => listConcerts({ db: app.db }),
  );

  // Everything under a concert needs a token ACTIVE in that concert's queue: one hook for the group.
  await app.register(async (group) => {
    group.addHook('preHandler', app.requireActiveForConcert);
    await group.register(activeConcertRoutes, opts);
  });
}

async function activeConcertRoutes(fastify: FastifyInstance, opts: { config: Config }) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/concerts/:concertId/schedules',
    {
      schema: {
        tags: ['concerts'],
        summary: 'Future dates with seat counts',
        security: bearer,
        params: concertParams,
        response: { 200: scheduleList, ...guardErrors },
      },
    },
    async (request) => listSchedules({ sql: app.sql, concertId: request.params.concertId }),
  );

  app.get(
    '/concerts/:concertId/schedules/:scheduleId/seats',
    {
      schema: {
        tags: ['concerts'],
        summary: 'Seats of a date; a lapsed hold reads AVAILABLE',
        security: bearer,
        params: scheduleParams,
        response: { 200: seatList, ...guardErrors },
      },
    },
    async (request) => listSeats({ sql: app.sql, ...request.params }),
  );

  app.post(
    '/concerts/:concertId/schedules/:scheduleId/reservations',
    {
      schema: {
        tags: ['reservations'],
        summary: `Hold a seat for ${opts.config.HOLD_SECONDS} s (at most ${opts.config.MAX_HOLDS_PER_USER} at once)`,
        security: bearer,
        params: scheduleParams,
        body: holdBody,
        response: { 201: reservation, ...guardErrors, ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      const held = await holdSeat({
        sql: app.sql,
        userId: request.fan.claims.userId,
        ...request.params,
        seatNo: request.body.seatNo,
        holdSeconds: opts.config.HOLD_SECONDS,
        maxHolds: opts.config.MAX_HOLDS_PER_USER,
      });
      return reply.code(201).send(held);
    },
  );
}

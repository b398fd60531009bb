import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '@concert/config';
import {
  concertList,
  concertParams,
  reservation,
  scheduleList,
  scheduleParams,
  seatList,
  singleSeatHold,
} from '@concert/contract';
import { errorResponses, HttpErrors, respond } from '@concert/http';
import { BookingErrors, holdSeat, listConcerts, listSchedules, listSeats } from '@concert/booking-domain';
import { TokenErrors } from '@concert/tokens';

const bearer = [{ queueToken: [] }];

/** What every route under a concert may refuse with: the token and the concert. */
const guardErrors = [
  TokenErrors.TOKEN_INVALID,
  TokenErrors.TOKEN_EXPIRED,
  BookingErrors.TOKEN_NOT_ACTIVE,
  BookingErrors.TOKEN_WRONG_QUEUE,
  BookingErrors.CONCERT_NOT_FOUND,
];

/** Concerts (public), and their dates, seats and holds (an ACTIVE token of the concert's queue). */
export default async function concertRoutes(fastify: FastifyInstance, opts: { config: Config }) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/concerts',
    {
      schema: {
        operationId: 'listConcerts',
        security: [],
        tags: ['concerts'],
        summary: 'Concerts and the queue to join for each',
        response: { 200: respond(concertList, 'Every concert'), ...errorResponses() },
      },
    },
    async () => listConcerts({ sql: app.sql }),
  );

  // Everything under a concert needs a token ACTIVE in that concert's queue: one hook for the group.
  await app.register(async (group) => {
    group.addHook('onRequest', app.authenticate('queue-token'));
    group.addHook('preHandler', app.requireActiveForConcert);
    await group.register(activeConcertRoutes, opts);
  });
}

async function activeConcertRoutes(fastify: FastifyInstance, opts: { config: Config }) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { config } = opts;

  app.get(
    '/concerts/:concertId/schedules',
    {
      schema: {
        operationId: 'listSchedules',
        tags: ['concerts'],
        summary: 'Future dates with seat counts',
        security: bearer,
        params: concertParams,
        response: { 200: respond(scheduleList, 'Future dates by start'), ...errorResponses(...guardErrors) },
      },
    },
    async (request) => listSchedules({ sql: app.sql, concertId: request.params.concertId }),
  );

  app.get(
    '/concerts/:concertId/schedules/:scheduleId/seats',
    {
      schema: {
        operationId: 'listSeats',
        tags: ['concerts'],
        summary: 'Seats of a date; a lapsed hold reads AVAILABLE',
        security: bearer,
        params: scheduleParams,
        response: {
          200: respond(seatList, 'Every seat by number'),
          ...errorResponses(...guardErrors, BookingErrors.SCHEDULE_NOT_FOUND),
        },
      },
    },
    async (request) => listSeats({ sql: app.sql, ...request.params }),
  );

  app.post(
    '/concerts/:concertId/schedules/:scheduleId/reservations',
    {
      onRequest: app.limitRate(
        'booking-write',
        config.BOOKING_WRITE_RATE_LIMIT_PER_MINUTE,
        (request) => request.fan.userId,
      ),
      schema: {
        operationId: 'holdSeats',
        tags: ['reservations'],
        summary: `Hold a seat for ${config.HOLD_SECONDS} s (at most ${config.MAX_HOLDS_PER_USER} at once)`,
        security: bearer,
        params: scheduleParams,
        body: singleSeatHold,
        response: {
          201: respond(reservation, 'Held', {
            location: Type.String({ description: '/reservations/{reservationId}' }),
          }),
          ...errorResponses(
            ...guardErrors,
            HttpErrors.VALIDATION_ERROR,
            HttpErrors.RATE_LIMITED,
            BookingErrors.SCHEDULE_NOT_FOUND,
            BookingErrors.SEAT_NOT_FOUND,
            BookingErrors.SEAT_UNAVAILABLE,
            BookingErrors.HOLD_LIMIT_REACHED,
          ),
        },
      },
    },
    async (request, reply) => {
      const held = await holdSeat({
        sql: app.sql,
        userId: request.fan.userId,
        ...request.params,
        seatNo: request.body.seatNo,
        holdSeconds: config.HOLD_SECONDS,
        maxHolds: config.MAX_HOLDS_PER_USER,
      });
      return reply.code(201).header('location', `/reservations/${held.reservationId}`).send(held);
    },
  );
}

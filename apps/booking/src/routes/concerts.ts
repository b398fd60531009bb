import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '@concert/config';
import {
  concertList,
  concertParams,
  holdRequest,
  holdResult,
  idempotencyHeaders,
  idempotentReplayedHeader,
  scheduleList,
  scheduleParams,
  seatList,
  type HoldRequest,
  type HoldResult,
  type ScheduleParams,
} from '@concert/contract';
import { errorResponses, HttpErrors, respond } from '@concert/http';
import { BookingErrors, holdSeats, listConcerts, listSchedules, listSeats } from '@concert/booking-domain';
import { TokenErrors } from '@concert/tokens';

/** Where a hold's 201 points: its (first) reservation. */
const locationOf = (held: HoldResult) =>
  `/reservations/${'reservations' in held ? held.reservations[0]!.reservationId : held.reservationId}`;

/** How many seats a hold asks for. */
const seatsAskedBy = (body: HoldRequest) =>
  'seatNo' in body ? 1 : 'seatNos' in body ? body.seatNos.length : body.quantity;

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
      // After the group's guard: a hold needs a token still active in the concert's queue.
      preHandler: app.replayIdempotent(
        'holds',
        (request) => ({ ...(request.params as ScheduleParams), body: request.body as HoldRequest }),
        { locationOf },
      ),
      schema: {
        operationId: 'holdSeats',
        tags: ['reservations'],
        summary:
          `Hold seats for ${config.HOLD_SECONDS} s, all or none: one, several, or the best available ` +
          `(at most ${config.MAX_HOLDS_PER_USER} held at once, ${config.MAX_TICKETS_PER_USER} of one concert held and paid)`,
        security: bearer,
        params: scheduleParams,
        headers: idempotencyHeaders,
        body: holdRequest,
        response: {
          201: respond(holdResult, 'Held (or, with a used Idempotency-Key, the first answer again)', {
            location: Type.String({ description: '/reservations/{reservationId} (the first, for several)' }),
            ...idempotentReplayedHeader,
          }),
          ...errorResponses(
            ...guardErrors,
            HttpErrors.VALIDATION_ERROR,
            HttpErrors.RATE_LIMITED,
            BookingErrors.SCHEDULE_NOT_FOUND,
            BookingErrors.SEAT_NOT_FOUND,
            BookingErrors.SEAT_UNAVAILABLE,
            BookingErrors.HOLD_LIMIT_REACHED,
            BookingErrors.TICKET_LIMIT_REACHED,
            BookingErrors.NOT_ENOUGH_SEATS,
            BookingErrors.IDEMPOTENCY_KEY_REUSED,
            BookingErrors.IDEMPOTENCY_KEY_IN_FLIGHT,
          ),
        },
      },
    },
    async (request, reply) => {
      if (seatsAskedBy(request.body) > config.MAX_HOLDS_PER_USER) {
        throw new HttpErrors.VALIDATION_ERROR(`at most ${config.MAX_HOLDS_PER_USER} seats per hold`);
      }
      const outcome = await holdSeats({
        sql: app.sql,
        userId: request.fan.userId,
        ...request.params,
        request: request.body,
        holdSeconds: config.HOLD_SECONDS,
        maxHolds: config.MAX_HOLDS_PER_USER,
        maxTickets: config.MAX_TICKETS_PER_USER,
        idempotencyKey: request.headers['idempotency-key'],
      });
      await app.applyEffects(outcome.effects, request.log);
      return reply.sendStored(outcome, locationOf(outcome.body));
    },
  );
}

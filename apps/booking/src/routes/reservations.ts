import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '@concert/config';
import { reservationList, reservationParams, reservationQuery, reservationRecord } from '@concert/contract';
import { errorResponses, HttpErrors, noContent, respond } from '@concert/http';
import {
  BookingErrors,
  cancelReservation,
  getReservation,
  listReservations,
  RECORDS_PAGE_SIZE,
} from '@concert/booking-domain';
import { TokenErrors } from '@concert/tokens';

const account: { [scheme: string]: string[] }[] = [{ queueToken: [] }, { identityToken: [] }];
const accountErrors = [TokenErrors.TOKEN_INVALID, TokenErrors.TOKEN_EXPIRED, TokenErrors.IDENTITY_INVALID];

/** A fan's own reservations (a live queue token or an identity token). Another user's is 404, never 403. */
export default async function reservationRoutes(fastify: FastifyInstance, opts: { config: Config }) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onRequest', app.authenticate('account'));
  app.addHook('preHandler', app.requireLiveToken);

  app.get(
    '/reservations',
    {
      schema: {
        operationId: 'listReservations',
        tags: ['reservations'],
        summary: `My reservations, newest first (the latest ${RECORDS_PAGE_SIZE}), of one status if asked`,
        security: account,
        querystring: reservationQuery,
        response: {
          200: respond(reservationList, 'My reservations'),
          ...errorResponses(...accountErrors, HttpErrors.VALIDATION_ERROR),
        },
      },
    },
    async (request) => listReservations({ sql: app.sql, userId: request.fan.userId, status: request.query.status }),
  );

  app.get(
    '/reservations/:reservationId',
    {
      schema: {
        operationId: 'getReservation',
        tags: ['reservations'],
        summary: 'One of my reservations',
        security: account,
        params: reservationParams,
        response: {
          200: respond(reservationRecord, 'The reservation'),
          ...errorResponses(...accountErrors, BookingErrors.RESERVATION_NOT_FOUND),
        },
      },
    },
    async (request) => getReservation({ sql: app.sql, userId: request.fan.userId, ...request.params }),
  );

  app.delete(
    '/reservations/:reservationId',
    {
      onRequest: app.limitRate(
        'booking-write',
        opts.config.BOOKING_WRITE_RATE_LIMIT_PER_MINUTE,
        (request) => request.fan.userId,
      ),
      schema: {
        operationId: 'cancelReservation',
        tags: ['reservations'],
        summary: 'Give up a hold; the seat is free again',
        security: account,
        params: reservationParams,
        response: {
          204: noContent('Cancelled'),
          ...errorResponses(
            ...accountErrors,
            HttpErrors.RATE_LIMITED,
            BookingErrors.RESERVATION_NOT_FOUND,
            BookingErrors.RESERVATION_NOT_HELD,
          ),
        },
      },
    },
    async (request, reply) => {
      const { effects } = await cancelReservation({ sql: app.sql, userId: request.fan.userId, ...request.params });
      await app.applyEffects(effects, request.log);
      return reply.code(204).send();
    },
  );
}

import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorResponses } from '@concert/http';
import { cancelReservation, getReservation } from '@concert/booking-domain';
import { bearer } from '../schemas/common.js';
import { reservation, reservationParams } from '../schemas/reservations.js';

/** A fan's own reservations (any live token). Another user's reservation is 404, never 403. */
export default async function reservationRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('preHandler', app.requireLiveToken);

  app.get(
    '/reservations/:reservationId',
    {
      schema: {
        tags: ['reservations'],
        summary: 'One of my reservations',
        security: bearer,
        params: reservationParams,
        response: { 200: reservation, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => getReservation({ sql: app.sql, userId: request.fan.claims.userId, ...request.params }),
  );

  app.delete(
    '/reservations/:reservationId',
    {
      schema: {
        tags: ['reservations'],
        summary: 'Give up a hold; the seat is free again',
        security: bearer,
        params: reservationParams,
        response: { 204: Type.Null({ description: 'Cancelled' }), ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (request, reply) => {
      await cancelReservation({ sql: app.sql, userId: request.fan.claims.userId, ...request.params });
      return reply.code(204).send(null);
    },
  );
}

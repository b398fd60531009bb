import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorResponses, HttpErrors } from '@concert/http';
import { payReservations, paymentRequest } from '@concert/booking-domain';
import type { Config } from '@concert/config';
import { bearer, idempotencyHeaders } from '../schemas/common.js';
import { payment, paymentBody } from '../schemas/payments.js';
import { replayIfStored } from './idempotent-replay.js';

type PaymentBody = { reservationId?: string; reservationIds?: string[] };

function reservationIdsOf(body: PaymentBody): string[] {
  const given = [body.reservationId !== undefined, body.reservationIds !== undefined].filter(Boolean).length;
  if (given !== 1) throw new HttpErrors.VALIDATION_ERROR('body must have either reservationId or reservationIds');
  return body.reservationIds ?? [body.reservationId!];
}

/** Paying for held seats with points (an ACTIVE token); the token is ended once paid. */
export default async function paymentRoutes(fastify: FastifyInstance, opts: { config: Config }) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/payments',
    {
      preHandler: [
        replayIfStored(app, 'payments', (request: FastifyRequest) =>
          paymentRequest(reservationIdsOf(request.body as PaymentBody)),
        ),
        app.requireActiveToken,
      ],
      schema: {
        tags: ['payments'],
        summary: 'Pay one or several holds at once, in one transaction',
        security: bearer,
        headers: idempotencyHeaders,
        body: paymentBody(opts.config.MAX_HOLDS_PER_USER),
        response: { 201: payment, ...errorResponses(400, 401, 402, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const { fan } = request;
      const result = await payReservations({
        sql: app.sql,
        userId: fan.claims.userId,
        reservationIds: reservationIdsOf(request.body),
        idempotencyKey: request.headers['idempotency-key'],
        authorizeConcerts: (concertIds) => app.assertConcertsInQueue(fan, concertIds),
      });
      if (result.replayed) {
        reply.header('idempotent-replayed', 'true');
      } else {
        // Paid: the fan's turn is over and the place goes to the next in line. Money is never
        // undone for Redis: if this fails the token still dies by its active TTL.
        try {
          await app.waitingRoom.remove(fan.claims.queueId, fan.claims);
        } catch (err) {
          request.log.error(
            { err, paymentId: result.body.paymentId },
            'payment committed but its queue token could not be expired',
          );
        }
      }
      return reply.code(result.statusCode as 201).send(result.body);
    },
  );
}

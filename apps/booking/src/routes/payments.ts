import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '@concert/config';
import { idempotencyHeaders, paymentReceipt, paymentRequest, type PaymentRequest } from '@concert/contract';
import { errorResponses, HttpErrors, respond } from '@concert/http';
import { BookingErrors, payReservations } from '@concert/booking-domain';
import { TokenErrors } from '@concert/tokens';

const reservationIdsOf = (body: PaymentRequest) =>
  'reservationIds' in body ? body.reservationIds : [body.reservationId];

/** Paying for held seats with points (an ACTIVE token); the token is ended once paid. */
export default async function paymentRoutes(fastify: FastifyInstance, opts: { config: Config }) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { config } = opts;

  app.post(
    '/payments',
    {
      onRequest: [
        app.authenticate('queue-token'),
        app.limitRate('booking-write', config.BOOKING_WRITE_RATE_LIMIT_PER_MINUTE, (request) => request.fan.userId),
      ],
      preHandler: [
        app.replayIdempotent('payments', (request) => ({
          reservationIds: reservationIdsOf(request.body as PaymentRequest),
        })),
        app.requireActiveToken,
      ],
      schema: {
        operationId: 'payReservations',
        tags: ['payments'],
        summary: 'Pay one or several holds at once, in one transaction',
        security: [{ queueToken: [] }],
        headers: idempotencyHeaders,
        body: paymentRequest,
        response: {
          201: respond(paymentReceipt, 'Paid: seats SOLD, the queue token ended (or the first answer again)', {
            location: Type.String({ description: '/payments/{paymentId}' }),
            'idempotent-replayed': Type.Literal('true', { description: 'Present when this is a stored answer' }),
          }),
          ...errorResponses(
            TokenErrors.TOKEN_INVALID,
            TokenErrors.TOKEN_EXPIRED,
            BookingErrors.TOKEN_NOT_ACTIVE,
            BookingErrors.TOKEN_WRONG_QUEUE,
            HttpErrors.VALIDATION_ERROR,
            HttpErrors.RATE_LIMITED,
            BookingErrors.INSUFFICIENT_BALANCE,
            BookingErrors.RESERVATION_NOT_FOUND,
            BookingErrors.RESERVATION_EXPIRED,
            BookingErrors.RESERVATION_ALREADY_PAID,
            BookingErrors.IDEMPOTENCY_KEY_REUSED,
          ),
        },
      },
    },
    async (request, reply) => {
      const reservationIds = reservationIdsOf(request.body);
      if (reservationIds.length > config.MAX_HOLDS_PER_USER) {
        throw new HttpErrors.VALIDATION_ERROR(`at most ${config.MAX_HOLDS_PER_USER} reservations per payment`);
      }
      const claims = request.fan.queueToken!;
      const result = await payReservations({
        sql: app.sql,
        userId: claims.userId,
        queueId: claims.queueId,
        reservationIds,
        idempotencyKey: request.headers['idempotency-key'],
      });
      if (!result.replayed) {
        // Paid: the fan's turn is over and the place goes to the next in line. Money is never
        // undone for Redis: if this fails the token still dies by its active TTL.
        try {
          await app.waitingRoom.remove(claims.queueId, claims);
        } catch (err) {
          request.log.error(
            { err, paymentId: result.body.paymentId },
            'payment committed but its queue token could not be expired',
          );
        }
      }
      return reply.sendStored(result, `/payments/${result.body.paymentId}`);
    },
  );
}

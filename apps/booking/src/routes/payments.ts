import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '@concert/config';
import {
  emptyBody,
  idempotencyHeaders,
  idempotentReplayedHeader,
  payment,
  paymentList,
  paymentParams,
  paymentReceipt,
  paymentRequest,
  refundReceipt,
  type PaymentRequest,
} from '@concert/contract';
import { emptyBodyAsObject, errorResponses, HttpErrors, respond } from '@concert/http';
import {
  BookingErrors,
  findPendingTokenEndings,
  getPayment,
  listPayments,
  payReservations,
  RECORDS_PAGE_SIZE,
  refundPayment,
} from '@concert/booking-domain';
import { TokenErrors } from '@concert/tokens';

const reservationIdsOf = (body: PaymentRequest) =>
  'reservationIds' in body ? body.reservationIds : [body.reservationId];

const account: { [scheme: string]: string[] }[] = [{ queueToken: [] }, { identityToken: [] }];
const accountErrors = [TokenErrors.TOKEN_INVALID, TokenErrors.TOKEN_EXPIRED, TokenErrors.IDENTITY_INVALID];

/**
 * Paying for held seats with points (an ACTIVE token; the token is ended once paid), and the
 * fan's payments and refunds (a live queue token or an identity token).
 */
export default async function paymentRoutes(fastify: FastifyInstance, opts: { config: Config }) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { config } = opts;
  const limitWrites = app.limitRate(
    'booking-write',
    config.BOOKING_WRITE_RATE_LIMIT_PER_MINUTE,
    (request) => request.fan.userId,
  );

  /**
   * A replayed payment makes sure the token that paid has ended too (its first request may have
   * committed and died before ending it): the one recorded with the payment, not the one the
   * retry carries, which may be a new place the fan joined for since. Ending a token that is no
   * longer live changes nothing; whatever fails here the worker applies from the outbox.
   */
  const endPayingToken = async (request: FastifyRequest) => {
    try {
      const pending = await findPendingTokenEndings({ sql: app.sql, userId: request.fan.userId });
      await app.applyEffects(pending, request.log);
    } catch (err) {
      request.log.warn({ err: { message: (err as Error).message } }, 'replayed payment: token left to the worker');
    }
  };

  app.post(
    '/payments',
    {
      onRequest: [app.authenticate('queue-token'), limitWrites],
      preHandler: [
        app.replayIdempotent(
          'payments',
          (request) => ({ reservationIds: reservationIdsOf(request.body as PaymentRequest) }),
          {
            onReplay: endPayingToken,
            locationOf: (body: { paymentId: string }) => `/payments/${body.paymentId}`,
          },
        ),
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
            ...idempotentReplayedHeader,
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
            BookingErrors.IDEMPOTENCY_KEY_IN_FLIGHT,
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
        token: { userId: claims.userId, tokenId: claims.tokenId, issuedAt: claims.issuedAt },
        idempotencyKey: request.headers['idempotency-key'],
      });
      // Paid: the fan's turn is over (its place goes to the next in line) and the seats-left
      // figures change. Recorded with the payment, so a failure here is made good by the worker.
      if (result.replayed) await endPayingToken(request);
      else await app.applyEffects(result.effects, request.log);
      return reply.sendStored(result, `/payments/${result.body.paymentId}`);
    },
  );

  // The fan's records and refunds: any live queue token, or an identity token.
  await app.register(async (records) => {
    const group = records.withTypeProvider<TypeBoxTypeProvider>();
    group.addHook('onRequest', app.authenticate('account'));
    group.addHook('preHandler', app.requireLiveToken);

    group.get(
      '/payments',
      {
        schema: {
          operationId: 'listPayments',
          tags: ['payments'],
          summary: `My payments, newest first (the latest ${RECORDS_PAGE_SIZE})`,
          security: account,
          response: { 200: respond(paymentList, 'My payments'), ...errorResponses(...accountErrors) },
        },
      },
      async (request) => listPayments({ sql: app.sql, userId: request.fan.userId }),
    );

    group.get(
      '/payments/:paymentId',
      {
        schema: {
          operationId: 'getPayment',
          tags: ['payments'],
          summary: 'One of my payments',
          security: account,
          params: paymentParams,
          response: {
            200: respond(payment, 'The payment'),
            ...errorResponses(...accountErrors, BookingErrors.PAYMENT_NOT_FOUND),
          },
        },
      },
      async (request) => getPayment({ sql: app.sql, userId: request.fan.userId, ...request.params }),
    );

    group.post(
      '/payments/:paymentId/refund',
      {
        onRequest: limitWrites,
        preValidation: emptyBodyAsObject,
        preHandler: app.replayIdempotent('refunds', (request) => request.params as { paymentId: string }),
        schema: {
          operationId: 'refundPayment',
          tags: ['payments'],
          summary: `Refund a whole payment (until ${config.REFUND_CUTOFF_HOURS} h before its dates start)`,
          security: account,
          params: paymentParams,
          headers: idempotencyHeaders,
          body: emptyBody,
          response: {
            200: respond(
              refundReceipt,
              'Refunded: points back, seats free (or the first answer again)',
              idempotentReplayedHeader,
            ),
            ...errorResponses(
              ...accountErrors,
              HttpErrors.VALIDATION_ERROR,
              HttpErrors.RATE_LIMITED,
              BookingErrors.PAYMENT_NOT_FOUND,
              BookingErrors.PAYMENT_ALREADY_REFUNDED,
              BookingErrors.REFUND_WINDOW_CLOSED,
              BookingErrors.IDEMPOTENCY_KEY_REUSED,
              BookingErrors.IDEMPOTENCY_KEY_IN_FLIGHT,
            ),
          },
        },
      },
      async (request, reply) => {
        const result = await refundPayment({
          sql: app.sql,
          userId: request.fan.userId,
          paymentId: request.params.paymentId,
          cutoffHours: config.REFUND_CUTOFF_HOURS,
          idempotencyKey: request.headers['idempotency-key'],
        });
        await app.applyEffects(result.effects, request.log);
        return reply.sendStored(result);
      },
    );
  });
}

import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '@concert/config';
import { balance, chargeRequest, idempotencyHeaders, idempotentReplayedHeader, ledger } from '@concert/contract';
import { errorResponses, HttpErrors, respond } from '@concert/http';
import { BookingErrors, chargePoints, getBalance, LEDGER_PAGE_SIZE, listTransactions } from '@concert/booking-domain';
import { TokenErrors } from '@concert/tokens';

const account: { [scheme: string]: string[] }[] = [{ queueToken: [] }, { identityToken: [] }];
const accountErrors = [TokenErrors.TOKEN_INVALID, TokenErrors.TOKEN_EXPIRED, TokenErrors.IDENTITY_INVALID];

/** Points: balance, charges and the ledger of the caller (a live queue token or an identity token). */
export default async function pointRoutes(fastify: FastifyInstance, opts: { config: Config }) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { config } = opts;
  app.addHook('onRequest', app.authenticate('account'));

  app.get(
    '/points',
    {
      preHandler: app.requireLiveToken,
      schema: {
        operationId: 'getBalance',
        tags: ['points'],
        summary: 'My balance',
        security: account,
        response: { 200: respond(balance, 'The balance (0 for a new user)'), ...errorResponses(...accountErrors) },
      },
    },
    async (request) => getBalance({ sql: app.sql, userId: request.fan.userId }),
  );

  app.post(
    '/points/charge',
    {
      onRequest: app.limitRate(
        'booking-write',
        config.BOOKING_WRITE_RATE_LIMIT_PER_MINUTE,
        (request) => request.fan.userId,
      ),
      preHandler: [
        app.replayIdempotent('points.charge', (request) => request.body as { amount: number }),
        app.requireLiveToken,
      ],
      schema: {
        operationId: 'chargePoints',
        tags: ['points'],
        summary: `Add points (1..${config.MAX_CHARGE} per charge; balance at most ${config.MAX_BALANCE})`,
        security: account,
        headers: idempotencyHeaders,
        body: chargeRequest(config.MAX_CHARGE),
        response: {
          200: respond(
            balance,
            'Charged (or, with a used Idempotency-Key, the first answer again)',
            idempotentReplayedHeader,
          ),
          ...errorResponses(
            ...accountErrors,
            HttpErrors.RATE_LIMITED,
            BookingErrors.BALANCE_LIMIT_EXCEEDED,
            BookingErrors.IDEMPOTENCY_KEY_REUSED,
            BookingErrors.IDEMPOTENCY_KEY_IN_FLIGHT,
          ),
        },
      },
    },
    async (request, reply) => {
      const result = await chargePoints({
        sql: app.sql,
        userId: request.fan.userId,
        amount: request.body.amount,
        maxBalance: config.MAX_BALANCE,
        idempotencyKey: request.headers['idempotency-key'],
      });
      return reply.sendStored(result);
    },
  );

  app.get(
    '/points/transactions',
    {
      preHandler: app.requireLiveToken,
      schema: {
        operationId: 'listTransactions',
        tags: ['points'],
        summary: `My ledger, newest first (the latest ${LEDGER_PAGE_SIZE})`,
        security: account,
        response: { 200: respond(ledger, 'Ledger entries'), ...errorResponses(...accountErrors) },
      },
    },
    async (request) => listTransactions({ sql: app.sql, userId: request.fan.userId }),
  );
}

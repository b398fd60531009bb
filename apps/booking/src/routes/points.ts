import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorResponses } from '@concert/http';
import { chargePoints, getBalance, LEDGER_PAGE_SIZE, listTransactions } from '@concert/booking-domain';
import type { Config } from '@concert/config';
import { bearer, idempotencyHeaders } from '../schemas/common.js';
import { balance, chargeBody, ledger } from '../schemas/points.js';

/** Points: balance, charges and the ledger of the token's user (any live token). */
export default async function pointRoutes(fastify: FastifyInstance, opts: { config: Config }) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('preHandler', app.requireLiveToken);

  app.get(
    '/points',
    {
      schema: {
        tags: ['points'],
        summary: 'My balance',
        security: bearer,
        response: { 200: balance, ...errorResponses(401) },
      },
    },
    async (request) => getBalance({ sql: app.sql, userId: request.fan.claims.userId }),
  );

  app.post(
    '/points/charge',
    {
      schema: {
        tags: ['points'],
        summary: `Add points (1..${opts.config.MAX_CHARGE} per charge; balance at most ${opts.config.MAX_BALANCE})`,
        security: bearer,
        headers: idempotencyHeaders,
        body: chargeBody(opts.config.MAX_CHARGE),
        response: { 200: balance, ...errorResponses(400, 401, 422) },
      },
    },
    async (request, reply) => {
      const result = await chargePoints({
        sql: app.sql,
        userId: request.fan.claims.userId,
        amount: request.body.amount,
        maxBalance: opts.config.MAX_BALANCE,
        idempotencyKey: request.headers['idempotency-key'],
      });
      if (result.replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(result.statusCode as 200).send(result.body);
    },
  );

  app.get(
    '/points/transactions',
    {
      schema: {
        tags: ['points'],
        summary: `My ledger, newest first (the latest ${LEDGER_PAGE_SIZE})`,
        security: bearer,
        response: { 200: ledger, ...errorResponses(401) },
      },
    },
    async (request) => listTransactions({ db: app.db, userId: request.fan.claims.userId }),
  );
}

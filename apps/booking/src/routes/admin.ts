import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '@concert/config';
import { concertParams, scheduleSalesList } from '@concert/contract';
import { adminKeyGuard, errorResponses, HttpErrors, respond } from '@concert/http';
import { BookingErrors, listScheduleSales } from '@concert/booking-domain';

const adminKey = [{ adminKey: [] }];

/** With no admin key configured nobody is an operator: every call is refused as a wrong key. */
const refuseEveryone: onRequestHookHandler = async () => {
  throw new HttpErrors.ADMIN_KEY_INVALID();
};

/**
 * Operators' views of sales, behind `X-Admin-Key` (the gateway's key and check). Booking boots
 * without a key, so deployments from before these routes keep working; the routes then answer 401.
 */
export default async function adminRoutes(fastify: FastifyInstance, opts: { config: Config }) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const key = opts.config.ADMIN_API_KEY;
  if (!key) app.log.warn('no ADMIN_API_KEY: the operators’ routes (/admin/...) refuse every call with 401');
  app.addHook('onRequest', key ? adminKeyGuard(key) : refuseEveryone);

  app.get(
    '/admin/concerts/:concertId/schedules',
    {
      schema: {
        operationId: 'listScheduleSales',
        tags: ['admin'],
        summary: 'Seats sold, held and left on each future date of a concert (a lapsed hold counts as left)',
        security: adminKey,
        params: concertParams,
        response: {
          200: respond(scheduleSalesList, 'Future dates by start'),
          ...errorResponses(HttpErrors.ADMIN_KEY_INVALID, BookingErrors.CONCERT_NOT_FOUND),
        },
      },
    },
    async (request) => listScheduleSales({ sql: app.sql, concertId: request.params.concertId }),
  );
}

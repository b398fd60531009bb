import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { QueueErrors, type Placement } from '@concert/queue';
import type { QueueTokenClaims } from '@concert/tokens';
import { BookingErrors } from '@concert/booking-domain';

/** The caller, as proven by a live queue token. The user is always the token's `sub`. */
export type Fan = { claims: QueueTokenClaims; placement: Placement };

declare module 'fastify' {
  interface FastifyRequest {
    fan: Fan;
  }
  interface FastifyInstance {
    /** preHandler: any live token (waiting or active). */
    requireLiveToken(request: FastifyRequest): Promise<void>;
    /** preHandler: a token that is ACTIVE in its queue. */
    requireActiveToken(request: FastifyRequest): Promise<void>;
    /** preHandler: a token ACTIVE in the queue of the concert in the path (`:concertId`). */
    requireActiveForConcert(request: FastifyRequest): Promise<void>;
    /** Throws TOKEN_WRONG_QUEUE unless every concert given is sold through the caller's queue. */
    assertConcertsInQueue(fan: Fan, concertIds: string[]): Promise<void>;
  }
}

/**
 * Token checks for booking: signature locally (public key only), then the token's state with
 * one Redis round trip through the shared waiting-room library.
 */
async function tokenGuard(app: FastifyInstance) {
  app.decorateRequest('fan', null as unknown as Fan);

  async function authenticate(request: FastifyRequest): Promise<Fan> {
    const claims = app.queueTokens.verify(request);
    const placement = await app.waitingRoom.status(claims.queueId, claims);
    if (!placement) throw new QueueErrors.TOKEN_EXPIRED();
    request.fan = { claims, placement };
    return request.fan;
  }

  const assertActive = (fan: Fan) => {
    if (fan.placement.status !== 'ACTIVE') throw new QueueErrors.TOKEN_NOT_ACTIVE();
  };

  app.decorate('requireLiveToken', async (request: FastifyRequest) => {
    await authenticate(request);
  });

  app.decorate('requireActiveToken', async (request: FastifyRequest) => {
    assertActive(await authenticate(request));
  });

  app.decorate('assertConcertsInQueue', async (fan: Fan, concertIds: string[]) => {
    for (const concertId of concertIds) {
      const concert = await app.concerts.find(concertId);
      if (concert?.queueId !== fan.claims.queueId) throw new QueueErrors.TOKEN_WRONG_QUEUE();
    }
  });

  app.decorate('requireActiveForConcert', async (request: FastifyRequest) => {
    const fan = await authenticate(request);
    const { concertId } = request.params as { concertId: string };
    const concert = await app.concerts.find(concertId);
    if (!concert) throw new BookingErrors.CONCERT_NOT_FOUND(concertId);
    if (concert.queueId !== fan.claims.queueId) throw new QueueErrors.TOKEN_WRONG_QUEUE();
    assertActive(fan);
  });
}

export const tokenGuardPlugin = fp(tokenGuard, { name: 'token-guard', dependencies: ['queue-tokens', 'waiting-room'] });

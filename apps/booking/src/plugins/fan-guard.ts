import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { BookingErrors } from '@concert/booking-domain';
import type { TokenStatus } from '@concert/contract';
import { bearerToken, peekClaims, TokenErrors, type QueueTokenClaims } from '@concert/tokens';

/**
 * The caller. The user is always a verified token's `sub`: a queue token's (with its claims, and
 * once its state is read, its placement) or, on account routes, an identity token's.
 */
export type Fan = { userId: string; queueToken?: QueueTokenClaims; status?: TokenStatus };

/** Which credentials a route group accepts: a queue token only, or also an identity token. */
export type Credentials = 'queue-token' | 'account';

declare module 'fastify' {
  interface FastifyRequest {
    fan: Fan;
  }
  interface FastifyInstance {
    /** onRequest: checks the bearer token's signature (once per request) and sets `request.fan`. */
    authenticate(accepts: Credentials): (request: FastifyRequest) => Promise<void>;
    /** preHandler: a queue token must still be live in Redis (identity tokens pass). */
    requireLiveToken(request: FastifyRequest): Promise<void>;
    /** preHandler: a queue token ACTIVE in its queue. */
    requireActiveToken(request: FastifyRequest): Promise<void>;
    /** preHandler: a queue token ACTIVE in the queue of the concert in the path (`:concertId`). */
    requireActiveForConcert(request: FastifyRequest): Promise<void>;
  }
}

/**
 * Who may call booking. The signature is checked once, in onRequest (public keys only; booking
 * can never mint a token); the token's state (live? active?) is one Redis read in preHandler,
 * after any idempotent replay, which needs to know the user but not whether the token still lives.
 */
async function fanGuard(app: FastifyInstance) {
  app.decorateRequest('fan', null as unknown as Fan);

  app.decorate('authenticate', (accepts: Credentials) => async (request: FastifyRequest) => {
    const token = bearerToken(request);
    // A queue token names its queue; anything else can only be an identity token.
    if (accepts === 'queue-token' || !token || typeof peekClaims(token)?.qid === 'string') {
      const claims = await app.queueTokens.verify(token);
      request.fan = { userId: claims.userId, queueToken: claims };
      return;
    }
    const { userId } = await app.identity.verify(token);
    request.fan = { userId };
  });

  /** The queue token's state (live? active?): one small read-only script, not a whole placement. */
  async function readState(request: FastifyRequest): Promise<TokenStatus | undefined> {
    const claims = request.fan.queueToken;
    if (!claims) return undefined;
    const status = await app.waitingRoom.tokenState(claims.queueId, claims);
    if (!status) throw new TokenErrors.TOKEN_EXPIRED();
    request.fan.status = status;
    return status;
  }

  const assertActive = (status: TokenStatus | undefined) => {
    if (status !== 'ACTIVE') throw new BookingErrors.TOKEN_NOT_ACTIVE();
  };

  app.decorate('requireLiveToken', async (request: FastifyRequest) => {
    await readState(request);
  });

  app.decorate('requireActiveToken', async (request: FastifyRequest) => {
    assertActive(await readState(request));
  });

  app.decorate('requireActiveForConcert', async (request: FastifyRequest) => {
    const status = await readState(request);
    const { concertId } = request.params as { concertId: string };
    const concert = await app.concerts.find(concertId);
    if (!concert) throw new BookingErrors.CONCERT_NOT_FOUND(concertId);
    if (concert.queueId !== request.fan.queueToken!.queueId) throw new BookingErrors.TOKEN_WRONG_QUEUE();
    assertActive(status);
  });
}

export const fanGuardPlugin = fp(fanGuard, { name: 'fan-guard', dependencies: ['tokens', 'waiting-room', 'concerts'] });

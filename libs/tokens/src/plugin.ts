import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import fastifyJwt from '@fastify/jwt';
import { QueueErrors, USER_ID_PATTERN, QUEUE_ID_PATTERN, type TokenRef } from '@concert/queue';
import { TOKEN_ALGORITHM, type SigningKey, type VerificationKey } from './keys.js';

/** What a verified queue token says: who, which queue, which token, issued when. */
export type QueueTokenClaims = TokenRef & { queueId: string; expiresAt: number };

declare module 'fastify' {
  interface FastifyInstance {
    queueTokens: {
      /** Signs a token; deterministic (Ed25519), so the same claims give back the same token. */
      sign(claims: TokenRef & { queueId: string }): string;
      /** The claims of the request's token; throws TOKEN_INVALID for a missing, forged or malformed one. */
      verify(request: FastifyRequest): QueueTokenClaims;
      /** The public keys tokens are checked with, as a JWK set. */
      jwks(): { keys: VerificationKey['jwk'][] };
    };
  }
}

type Payload = { sub?: unknown; qid?: unknown; jti?: unknown; iat?: unknown; exp?: unknown };

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/;
const userIdPattern = new RegExp(USER_ID_PATTERN);
const queueIdPattern = new RegExp(QUEUE_ID_PATTERN);

/** `Authorization: Bearer <token>`, or the `USER-TOKEN: Bearer <token>` header clients also use. */
function extractToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization ?? request.headers['user-token'];
  const value = Array.isArray(header) ? header[0] : header;
  return value ? BEARER.exec(value.trim())?.[1] : undefined;
}

function toClaims(payload: Payload): QueueTokenClaims | undefined {
  const { sub, qid, jti, iat, exp } = payload;
  if (typeof sub !== 'string' || !userIdPattern.test(sub)) return undefined;
  if (typeof qid !== 'string' || !queueIdPattern.test(qid)) return undefined;
  if (typeof jti !== 'string' || !/^\d{1,20}$/.test(jti)) return undefined;
  if (!Number.isInteger(iat) || !Number.isInteger(exp)) return undefined;
  return { userId: sub, queueId: qid, tokenId: jti, issuedAt: iat as number, expiresAt: exp as number };
}

/**
 * Queue tokens for a service: signing where a private key is given (the gateway), verifying with
 * the public key everywhere, the algorithm pinned to EdDSA and `exp` required.
 */
async function queueTokens(
  app: FastifyInstance,
  opts: { key: SigningKey | VerificationKey; ttlSeconds: number; verifyCacheSize?: number },
) {
  const privateKeyPem = 'privateKeyPem' in opts.key ? opts.key.privateKeyPem : undefined;
  await app.register(fastifyJwt, {
    secret: privateKeyPem
      ? { private: privateKeyPem, public: opts.key.publicKeyPem }
      : { public: opts.key.publicKeyPem },
    sign: { algorithm: TOKEN_ALGORITHM, kid: opts.key.kid },
    verify: {
      algorithms: [TOKEN_ALGORITHM],
      requiredClaims: ['sub', 'qid', 'jti', 'iat', 'exp'],
      cache: opts.verifyCacheSize ?? 100_000,
    },
  });

  const verifiedByRequest = new WeakMap<FastifyRequest, QueueTokenClaims>();
  app.decorate('queueTokens', {
    sign(claims) {
      if (!privateKeyPem) throw new Error('this service holds no private key and cannot sign queue tokens');
      return app.jwt.sign({
        sub: claims.userId,
        qid: claims.queueId,
        jti: claims.tokenId,
        iat: claims.issuedAt,
        exp: claims.issuedAt + opts.ttlSeconds,
      });
    },
    verify(request) {
      // Several hooks of one request may ask (payments: the replay check, then the guard).
      const known = verifiedByRequest.get(request);
      if (known) return known;
      const token = extractToken(request);
      if (!token) throw new QueueErrors.TOKEN_INVALID();
      let payload: Payload;
      try {
        payload = app.jwt.verify<Payload>(token);
      } catch {
        throw new QueueErrors.TOKEN_INVALID();
      }
      const claims = toClaims(payload);
      if (!claims) throw new QueueErrors.TOKEN_INVALID();
      verifiedByRequest.set(request, claims);
      return claims;
    },
    jwks() {
      return { keys: [opts.key.jwk] };
    },
  });
}

export const queueTokensPlugin = fp(queueTokens, { name: 'queue-tokens', fastify: '5.x' });

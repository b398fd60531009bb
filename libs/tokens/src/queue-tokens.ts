import { createSigner } from 'fast-jwt';
import { isQueueId, isUserId } from '@concert/contract';
import { TokenErrors } from './errors.js';
import { createKeySetVerifier } from './key-set.js';
import { TOKEN_ALGORITHM, type PublicJwk, type SigningKey, type VerificationKey } from './keys.js';

/*
 * The queue token, in one place. A JWT signed by the gateway with Ed25519:
 *   sub = user id, qid = queue id, jti = token id (the arrival number), iat, exp (hard bound).
 * Its *state* (waiting, active, gone) lives in Redis; this module only says whether a token is
 * genuine and what it claims. Signing is deterministic (Ed25519), so the same claims always give
 * back the same token: a second join of a live place returns the very same token.
 *
 * fast-jwt (the engine under @fastify/jwt) is used directly: signer and verifiers are built once,
 * usable outside a Fastify instance (tools, tests), one verifier per key id so that a rotated key
 * set is followed; verified claims are remembered by the key set (see key-set.ts).
 */

/** What a verified queue token says. */
export type QueueTokenClaims = {
  userId: string;
  queueId: string;
  tokenId: string;
  issuedAt: number;
  expiresAt: number;
};
/** What is signed into a new token (the expiry follows from the configured TTL). */
export type QueueTokenIdentity = Omit<QueueTokenClaims, 'expiresAt'>;

const REQUIRED_CLAIMS = ['sub', 'qid', 'jti', 'iat', 'exp'];

/** The gateway's signer; deterministic, ~30 µs per token here. */
export function createQueueTokenSigner(key: SigningKey, opts: { ttlSeconds: number }) {
  // `iat` is the claim we pass (the place's issue time), so signing the same place again gives
  // back the very same token.
  const signer = createSigner({ key: key.privateKeyPem, algorithm: TOKEN_ALGORITHM, kid: key.kid });
  return {
    sign(claims: QueueTokenIdentity): string {
      return signer({
        sub: claims.userId,
        qid: claims.queueId,
        jti: claims.tokenId,
        iat: claims.issuedAt,
        exp: claims.issuedAt + opts.ttlSeconds,
      });
    },
    /** The public keys the tokens can be checked with, as a JWK set (never the private part). */
    jwks(): { keys: PublicJwk[] } {
      return { keys: [key.jwk] };
    },
  };
}
export type QueueTokenSigner = ReturnType<typeof createQueueTokenSigner>;

type Payload = { sub?: unknown; qid?: unknown; jti?: unknown; iat?: unknown; exp?: unknown };

function toClaims(payload: Payload): QueueTokenClaims | undefined {
  const { sub, qid, jti, iat, exp } = payload;
  if (typeof sub !== 'string' || !isUserId(sub)) return undefined;
  if (typeof qid !== 'string' || !isQueueId(qid)) return undefined;
  if (typeof jti !== 'string' || !/^\d{1,20}$/.test(jti)) return undefined;
  if (!Number.isInteger(iat) || !Number.isInteger(exp)) return undefined;
  return { userId: sub, queueId: qid, tokenId: jti, issuedAt: iat as number, expiresAt: exp as number };
}

/** Where verifiers find the public keys: given keys, or the gateway's JWKS (followed when rotated). */
export type QueueTokenKeySource = { keys: VerificationKey[] } | { jwksUrl: string };

/**
 * Checks queue tokens with public keys only: algorithm pinned to EdDSA, every claim required,
 * `exp` enforced, the key found by `kid` (an unknown one looked up in the JWKS, when configured).
 * Throws TOKEN_INVALID for anything not genuine; the token's liveness is for the caller to ask Redis.
 */
export function createQueueTokenVerifier(
  source: QueueTokenKeySource,
  opts: { cacheSize: number; jwksMaxAgeMs?: number },
) {
  const keySet = createKeySetVerifier<QueueTokenClaims>({
    source,
    algorithms: [TOKEN_ALGORITHM],
    claims: { requiredClaims: REQUIRED_CLAIMS },
    accept: toClaims,
    cacheSize: opts.cacheSize,
    jwksMaxAgeMs: opts.jwksMaxAgeMs,
  });

  return {
    async verify(token: string | undefined): Promise<QueueTokenClaims> {
      const claims = token ? await keySet.verify(token) : undefined;
      if (!claims) throw new TokenErrors.TOKEN_INVALID();
      return claims;
    },
  };
}
export type QueueTokenVerifier = ReturnType<typeof createQueueTokenVerifier>;

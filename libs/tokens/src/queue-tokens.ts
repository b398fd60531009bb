import { KeyObject, type webcrypto } from 'node:crypto';
import { createDecoder, createSigner, createVerifier } from 'fast-jwt';
import { LRUCache } from 'lru-cache';
import { createRemoteJWKSet, errors as joseErrors } from 'jose';
import { isQueueId, isUserId } from '@concert/contract';
import { HttpErrors } from '@concert/http';
import { TokenErrors } from './errors.js';
import {
  JWKS_REFETCH_COOLDOWN_MS,
  TOKEN_ALGORITHM,
  verificationKeyFrom,
  type PublicJwk,
  type SigningKey,
  type VerificationKey,
} from './keys.js';

/*
 * The queue token, in one place. A JWT signed by the gateway with Ed25519:
 *   sub = user id, qid = queue id, jti = token id (the arrival number), iat, exp (hard bound).
 * Its *state* (waiting, active, gone) lives in Redis; this module only says whether a token is
 * genuine and what it claims. Signing is deterministic (Ed25519), so the same claims always give
 * back the same token: a second join of a live place returns the very same token.
 *
 * fast-jwt (the engine under @fastify/jwt) is used directly: signer and verifiers are built once,
 * usable outside a Fastify instance (tools, tests), one verifier per key id so that a rotated key
 * set is followed. Verified claims are remembered (until `exp`) keyed by the token itself: a
 * line polls with the same tokens over and over, and fast-jwt's own cache hashes every token to
 * make its key, a measured cost of every poll.
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
 * `exp` enforced, unknown key ids looked up in the JWKS (when configured). Throws TOKEN_INVALID
 * for anything not genuine; the token's liveness is for the caller to ask Redis.
 */
export function createQueueTokenVerifier(source: QueueTokenKeySource, opts: { cacheSize: number }) {
  const decodeHeader = createDecoder({ complete: true });
  const buildVerifier = (publicKeyPem: string) =>
    createVerifier({ key: publicKeyPem, algorithms: [TOKEN_ALGORITHM], requiredClaims: REQUIRED_CLAIMS }) as (
      token: string,
    ) => Payload;
  const verified = opts.cacheSize > 0 ? new LRUCache<string, QueueTokenClaims>({ max: opts.cacheSize }) : undefined;
  const verifiers = new Map<string, (token: string) => Payload>();
  if ('keys' in source) for (const key of source.keys) verifiers.set(key.kid, buildVerifier(key.publicKeyPem));
  const remote =
    'jwksUrl' in source
      ? createRemoteJWKSet(new URL(source.jwksUrl), {
          timeoutDuration: 2000,
          cooldownDuration: JWKS_REFETCH_COOLDOWN_MS,
        })
      : undefined;

  async function verifierFor(header: { alg?: unknown; kid?: unknown }) {
    if (header.alg !== TOKEN_ALGORITHM || typeof header.kid !== 'string') return undefined;
    const known = verifiers.get(header.kid);
    if (known || !remote) return known;
    try {
      const key = await remote({ alg: TOKEN_ALGORITHM, kid: header.kid });
      const pem = KeyObject.from(key as webcrypto.CryptoKey)
        .export({ format: 'pem', type: 'spki' })
        .toString();
      const { publicKeyPem } = verificationKeyFrom(pem, 'a key of QUEUE_JWKS_URL');
      const verifier = buildVerifier(publicKeyPem);
      verifiers.set(header.kid, verifier);
      return verifier;
    } catch (error) {
      // A key the gateway does not publish means a forged token; an unreachable JWKS is an outage.
      if (error instanceof joseErrors.JWKSNoMatchingKey) return undefined;
      throw new HttpErrors.SERVICE_UNAVAILABLE({ cause: error });
    }
  }

  return {
    async verify(token: string | undefined): Promise<QueueTokenClaims> {
      if (!token) throw new TokenErrors.TOKEN_INVALID();
      const known = verified?.get(token);
      if (known && known.expiresAt * 1000 > Date.now()) return known;
      let header: { alg?: unknown; kid?: unknown };
      try {
        header = (decodeHeader(token) as { header: typeof header }).header;
      } catch {
        throw new TokenErrors.TOKEN_INVALID();
      }
      const verifier = await verifierFor(header);
      if (!verifier) throw new TokenErrors.TOKEN_INVALID();
      let payload: Payload;
      try {
        payload = verifier(token);
      } catch {
        throw new TokenErrors.TOKEN_INVALID();
      }
      const claims = toClaims(payload);
      if (!claims) throw new TokenErrors.TOKEN_INVALID();
      verified?.set(token, claims);
      return claims;
    },
  };
}
export type QueueTokenVerifier = ReturnType<typeof createQueueTokenVerifier>;

import { KeyObject, type webcrypto } from 'node:crypto';
import { createDecoder, createVerifier, type Algorithm, type VerifierOptions } from 'fast-jwt';
import { createRemoteJWKSet, errors as joseErrors } from 'jose';
import { HttpErrors } from '@concert/http';

/**
 * A token naming a key id the cached key set lacks makes a refetch of the JWKS, at most this
 * often (a rotated key is picked up within about a second; random key ids cannot flood the
 * provider).
 */
export const JWKS_REFETCH_COOLDOWN_MS = 1000;

/** Where a key set comes from: public keys given in configuration, or a JWKS URL. */
export type KeySource = { keys: { kid?: string; publicKeyPem: string }[] } | { jwksUrl: string };

/** Thrown (and caught by the token modules) for a token that is not genuine. */
class NotGenuine extends Error {}

type Payload = Record<string, unknown>;
type Verify = (token: string) => Payload;

// jose's plain JOSEError (no more specific class) is a JWKS response that was not 200 OK.
const isUnreachable = (error: unknown) =>
  error instanceof joseErrors.JWKSTimeout ||
  (error instanceof TypeError && /fetch/i.test(error.message)) ||
  (error instanceof joseErrors.JOSEError && error.code === 'ERR_JOSE_GENERIC');

/**
 * Verifies JWTs against a set of public keys found by the header's `kid`: one fast-jwt verifier
 * per key, built once (synchronous Node crypto, about half the CPU of a WebCrypto verification
 * here). With a JWKS, a `kid` not seen yet is looked up by jose's remote key set (cached, refetched
 * at most once a cooldown); an unreachable JWKS is an outage (503), not a bad token. With exactly
 * one configured key and `anyKidWithOneKey`, the header's `kid` is not consulted (there is only
 * one key it could name). Returns the verified payload, or undefined for a token that is not
 * genuine (forged, expired, wrong algorithm, claims not as required).
 */
export function createKeySetVerifier(opts: {
  source: KeySource;
  algorithms: Algorithm[];
  claims?: Pick<VerifierOptions, 'allowedIss' | 'allowedAud' | 'requiredClaims'>;
  anyKidWithOneKey?: boolean;
}) {
  const decodeHeader = createDecoder({ complete: true });
  const build = (publicKeyPem: string): Verify =>
    createVerifier({ key: publicKeyPem, algorithms: opts.algorithms, ...opts.claims }) as Verify;
  const verifiers = new Map<string, Verify>();
  let onlyKey: Verify | undefined;
  if ('keys' in opts.source) {
    for (const key of opts.source.keys) if (key.kid) verifiers.set(key.kid, build(key.publicKeyPem));
    if (opts.anyKidWithOneKey && opts.source.keys.length === 1) onlyKey = build(opts.source.keys[0]!.publicKeyPem);
  }
  const remote =
    'jwksUrl' in opts.source
      ? createRemoteJWKSet(new URL(opts.source.jwksUrl), {
          timeoutDuration: 2000,
          cooldownDuration: JWKS_REFETCH_COOLDOWN_MS,
        })
      : undefined;

  async function verifierFor(header: { alg?: unknown; kid?: unknown }): Promise<Verify> {
    if (typeof header.alg !== 'string' || !opts.algorithms.includes(header.alg as Algorithm)) throw new NotGenuine();
    if (onlyKey) return onlyKey;
    const kid = typeof header.kid === 'string' ? header.kid : undefined;
    const cacheKey = kid ?? `(no kid, ${header.alg})`;
    const known = verifiers.get(cacheKey);
    if (known) return known;
    if (!remote) throw new NotGenuine();
    try {
      const key = await remote({ alg: header.alg, kid });
      const verifier = build(
        KeyObject.from(key as webcrypto.CryptoKey)
          .export({ format: 'pem', type: 'spki' })
          .toString(),
      );
      verifiers.set(cacheKey, verifier);
      return verifier;
    } catch (error) {
      if (isUnreachable(error)) throw new HttpErrors.SERVICE_UNAVAILABLE({ cause: error });
      // No key or several for that kid: the provider does not vouch for the token.
      throw new NotGenuine();
    }
  }

  return {
    async verify(token: string): Promise<Payload | undefined> {
      try {
        const { header } = decodeHeader(token) as { header: { alg?: unknown; kid?: unknown } };
        return (await verifierFor(header))(token);
      } catch (error) {
        if (error instanceof HttpErrors.SERVICE_UNAVAILABLE) throw error;
        return undefined;
      }
    },
  };
}

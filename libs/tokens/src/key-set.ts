import { KeyObject, type webcrypto } from 'node:crypto';
import { createDecoder, createVerifier, type Algorithm, type VerifierOptions } from 'fast-jwt';
import { createRemoteJWKSet, errors as joseErrors } from 'jose';
import { LRUCache } from 'lru-cache';
import { HttpErrors } from '@concert/http';

/**
 * A token naming a key id the cached key set lacks makes a refetch of the JWKS, at most this
 * often (a rotated key is picked up within about a second; random key ids cannot flood the
 * provider).
 */
export const JWKS_REFETCH_COOLDOWN_MS = 1000;
/**
 * How long a fetched JWKS is trusted as it is. Past this, the next token checked fetches it again
 * in the background (the token is checked with the keys at hand meanwhile): a key the provider
 * removed is refused within about this long, even by a process that only sees known key ids.
 */
export const JWKS_MAX_AGE_MS = 60_000;
/**
 * A JWKS fetch not answered by then fails: the token it was for answers 503, within the outage
 * budget of about a second.
 */
export const JWKS_FETCH_TIMEOUT_MS = 700;

/** Where a key set comes from: public keys given in configuration, or a JWKS URL. */
export type KeySource = { keys: { kid?: string; publicKeyPem: string }[] } | { jwksUrl: string };

/** Thrown (and caught by `verify`) for a token that is not genuine. */
class NotGenuine extends Error {}

type Payload = Record<string, unknown>;
type Verify = (token: string) => Payload;
type Header = { alg?: unknown; kid?: unknown };
/** A key of the JWKS as used so far: the header it was looked up with, its key, its verifier. */
type RemoteKey = { lookup: { alg: string; kid?: string }; publicKeyPem: string; verify: Verify };

// jose's plain JOSEError (no more specific class) is a JWKS response that was not 200 OK.
const isUnreachable = (error: unknown) =>
  error instanceof joseErrors.JWKSTimeout ||
  (error instanceof TypeError && /fetch/i.test(error.message)) ||
  (error instanceof joseErrors.JOSEError && error.code === 'ERR_JOSE_GENERIC');

/** The provider's current set has no (single) key for a lookup: it does not vouch for that key. */
const isNoKey = (error: unknown) =>
  error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys;

const pemOf = (key: unknown) =>
  KeyObject.from(key as webcrypto.CryptoKey)
    .export({ format: 'pem', type: 'spki' })
    .toString();

/**
 * Verifies JWTs against a set of public keys found by the header's `kid`: one fast-jwt verifier
 * per key, built once (synchronous Node crypto, about half the CPU of a WebCrypto verification
 * here). With a JWKS, a `kid` not seen yet is looked up by jose's remote key set (refetched at most
 * once a cooldown); an unreachable JWKS is an outage (503), not a bad token. Whenever the set is
 * fetched again, keys it no longer holds stop being trusted, and tokens verified with them are
 * checked anew. With exactly one configured key and `anyKidWithOneKey`, the header's `kid` is not
 * consulted (there is only one key it could name).
 *
 * `accept` turns a genuine payload into what the caller wants (undefined: refused). Accepted
 * tokens are remembered (at most `cacheSize`, each until its `expiresAt`), keyed by the token
 * itself: a line polls with the same tokens over and over, and fast-jwt's own cache hashes every
 * token to make its key, a measured cost of every poll. Resolves undefined for a token that is
 * not genuine (forged, expired, wrong algorithm, claims not as required, refused by `accept`).
 */
export function createKeySetVerifier<T extends { expiresAt: number }>(opts: {
  source: KeySource;
  algorithms: Algorithm[];
  claims?: Pick<VerifierOptions, 'allowedIss' | 'allowedAud' | 'requiredClaims'>;
  anyKidWithOneKey?: boolean;
  accept: (payload: Payload) => T | undefined;
  cacheSize: number;
  /** How long a fetched JWKS is trusted as it is (default JWKS_MAX_AGE_MS). */
  jwksMaxAgeMs?: number;
}) {
  const decodeHeader = createDecoder({ complete: true });
  const build = (publicKeyPem: string): Verify =>
    createVerifier({ key: publicKeyPem, algorithms: opts.algorithms, ...opts.claims }) as Verify;
  const maxAgeMs = opts.jwksMaxAgeMs ?? JWKS_MAX_AGE_MS;

  const configured = new Map<string, Verify>();
  let onlyKey: Verify | undefined;
  if ('keys' in opts.source) {
    for (const key of opts.source.keys) if (key.kid) configured.set(key.kid, build(key.publicKeyPem));
    if (opts.anyKidWithOneKey && opts.source.keys.length === 1) onlyKey = build(opts.source.keys[0]!.publicKeyPem);
  }

  const remote =
    'jwksUrl' in opts.source
      ? createRemoteJWKSet(new URL(opts.source.jwksUrl), {
          timeoutDuration: JWKS_FETCH_TIMEOUT_MS,
          cooldownDuration: JWKS_REFETCH_COOLDOWN_MS,
          cacheMaxAge: maxAgeMs,
        })
      : undefined;
  /** The JWKS keys in use, by kid (or, for a token without one, by algorithm). */
  const remoteKeys = new Map<string, RemoteKey>();
  /** Bumped whenever a key stops being trusted (or changes): remembered tokens of older ones are checked again. */
  let keysVersion = 0;
  let fetchedAt = 0;
  let refreshing: Promise<void> | undefined;

  const accepted =
    opts.cacheSize > 0 ? new LRUCache<string, { value: T; keysVersion: number }>({ max: opts.cacheSize }) : undefined;

  /** After the JWKS was fetched: drops the keys it no longer holds, rebuilds those whose key changed. */
  async function reconcile() {
    fetchedAt = Date.now();
    let changed = false;
    for (const [name, known] of remoteKeys) {
      let publicKeyPem: string | undefined;
      try {
        // Right after a fetch jose answers from the set it holds (it is cooling down).
        publicKeyPem = pemOf(await remote!(known.lookup));
      } catch (error) {
        if (!isNoKey(error)) continue; // unreachable now: keep what we had
      }
      if (publicKeyPem === known.publicKeyPem) continue;
      changed = true;
      if (publicKeyPem) remoteKeys.set(name, { ...known, publicKeyPem, verify: build(publicKeyPem) });
      else remoteKeys.delete(name);
    }
    if (changed) keysVersion++;
  }

  /** Fetches the JWKS again once it is older than its max age (one fetch at a time; never awaited by a request). */
  function refreshIfStale() {
    if (!remote || refreshing || remoteKeys.size === 0 || Date.now() - fetchedAt < maxAgeMs) return;
    refreshing = remote
      .reload()
      .then(reconcile, () => {
        // The provider is unreachable: keep the keys we have and try again after a cooldown.
        fetchedAt = Date.now() - maxAgeMs + JWKS_REFETCH_COOLDOWN_MS;
      })
      .finally(() => {
        refreshing = undefined;
      });
  }

  async function remoteVerifier(lookup: { alg: string; kid?: string }): Promise<Verify> {
    const name = lookup.kid ?? `(no kid, ${lookup.alg})`;
    const known = remoteKeys.get(name);
    if (known) return known.verify;
    // Whether this lookup may fetch the set (jose refetches an unknown kid unless cooling down).
    const mayFetch = !remote!.coolingDown;
    let key: unknown;
    try {
      key = await remote!(lookup);
    } catch (error) {
      if (mayFetch && remote!.coolingDown) await reconcile();
      if (isUnreachable(error)) throw new HttpErrors.SERVICE_UNAVAILABLE({ cause: error });
      // No key or several for that kid: the provider does not vouch for the token.
      throw new NotGenuine();
    }
    if (mayFetch && remote!.coolingDown) await reconcile();
    const publicKeyPem = pemOf(key);
    const verify = build(publicKeyPem);
    remoteKeys.set(name, { lookup, publicKeyPem, verify });
    return verify;
  }

  async function verifierFor(header: Header): Promise<Verify> {
    if (typeof header.alg !== 'string' || !opts.algorithms.includes(header.alg as Algorithm)) throw new NotGenuine();
    if (onlyKey) return onlyKey;
    const kid = typeof header.kid === 'string' ? header.kid : undefined;
    if (remote) return remoteVerifier({ alg: header.alg, kid });
    const known = kid === undefined ? undefined : configured.get(kid);
    if (!known) throw new NotGenuine();
    return known;
  }

  return {
    async verify(token: string): Promise<T | undefined> {
      refreshIfStale();
      const remembered = accepted?.get(token);
      if (remembered && remembered.keysVersion === keysVersion && remembered.value.expiresAt * 1000 > Date.now()) {
        return remembered.value;
      }
      const version = keysVersion;
      try {
        const { header } = decodeHeader(token) as { header: Header };
        const value = opts.accept((await verifierFor(header))(token));
        if (value) accepted?.set(token, { value, keysVersion: version });
        return value;
      } catch (error) {
        if (error instanceof HttpErrors.SERVICE_UNAVAILABLE) throw error;
        return undefined;
      }
    },
  };
}

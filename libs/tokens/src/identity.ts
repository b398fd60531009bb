import { createPrivateKey } from 'node:crypto';
import type { Algorithm } from 'fast-jwt';
import { SignJWT } from 'jose';
import { isUserId } from '@concert/contract';
import { TokenErrors } from './errors.js';
import { createKeySetVerifier } from './key-set.js';
import { signingKeyFrom } from './keys.js';

/*
 * Identity tokens: who a fan is, as the promoter's identity provider says (OIDC-style JWT).
 * The user id everywhere in the system is the token's `sub`.
 */

/** The algorithms an identity provider may sign with; anything else (`none`, HS256...) is refused. */
export const IDENTITY_ALGORITHMS: Algorithm[] = ['RS256', 'ES256', 'EdDSA'];

export type Identity = { userId: string; expiresAt: number };

export type IdentityVerifierOptions = {
  /** The provider's JWKS (cached; refetched when a token names an unknown `kid`). */
  jwksUrl?: string;
  /** Or its one public key (PEM): any `kid` in a token's header is accepted, there is only one key. */
  publicKeyPem?: string;
  issuer: string;
  audience: string;
  /** Verified tokens remembered (until their `exp`): an account page polls with the same token. */
  cacheSize?: number;
  /** How long a fetched JWKS is trusted as it is (default JWKS_MAX_AGE_MS). */
  jwksMaxAgeMs?: number;
};

/** Checks identity tokens: signature, `iss`, `aud`, `exp`, algorithm allow-list, a valid `sub`. */
export function createIdentityVerifier(opts: IdentityVerifierOptions) {
  if (!opts.jwksUrl && !opts.publicKeyPem) {
    throw new Error('an identity verifier needs IDENTITY_JWKS_URL or IDENTITY_PUBLIC_KEY[_FILE]');
  }
  const keySet = createKeySetVerifier<Identity>({
    source: opts.jwksUrl ? { jwksUrl: opts.jwksUrl } : { keys: [{ publicKeyPem: opts.publicKeyPem! }] },
    algorithms: IDENTITY_ALGORITHMS,
    claims: { allowedIss: opts.issuer, allowedAud: opts.audience, requiredClaims: ['sub', 'exp'] },
    anyKidWithOneKey: true,
    accept: ({ sub, exp }) =>
      typeof sub === 'string' && isUserId(sub) && typeof exp === 'number' ? { userId: sub, expiresAt: exp } : undefined,
    cacheSize: opts.cacheSize ?? 0,
    jwksMaxAgeMs: opts.jwksMaxAgeMs,
  });

  return {
    async verify(token: string | undefined): Promise<Identity> {
      const identity = token ? await keySet.verify(token) : undefined;
      if (!identity) throw new TokenErrors.IDENTITY_INVALID();
      return identity;
    },
  };
}
export type IdentityVerifier = ReturnType<typeof createIdentityVerifier>;

/**
 * The development identity provider: signs identity tokens for any user id it is asked for.
 * Local runs, demos and load tests only (DEV_IDENTITY=true, refused in production).
 */
export function createDevIdentityIssuer(opts: {
  privateKeyPem: string;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}) {
  const { kid } = signingKeyFrom(opts.privateKeyPem, 'DEV_IDENTITY_PRIVATE_KEY');
  const privateKey = createPrivateKey(opts.privateKeyPem);
  return {
    async issue(userId: string): Promise<{ identityToken: string; expiresAt: string }> {
      const now = Math.floor(Date.now() / 1000);
      const expiresAt = now + opts.ttlSeconds;
      const identityToken = await new SignJWT({})
        .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' })
        .setSubject(userId)
        .setIssuer(opts.issuer)
        .setAudience(opts.audience)
        .setIssuedAt(now)
        .setExpirationTime(expiresAt)
        .sign(privateKey);
      return { identityToken, expiresAt: new Date(expiresAt * 1000).toISOString() };
    },
  };
}
export type DevIdentityIssuer = ReturnType<typeof createDevIdentityIssuer>;

import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import type { GatewayClient } from '@concert/contract';

/** How fans get identity tokens: signed with an issuer key the deployment trusts, or the development login. */
export type IdentitySource = (userId: string, gateway: GatewayClient) => Promise<string>;

const ALGORITHMS: Record<string, string> = { ed25519: 'EdDSA', ec: 'ES256', rsa: 'RS256' };

/** Signs identity tokens as the configured identity provider would (its private key, `iss`, `aud`). */
export function identityFromKey(opts: { keyFile: string; issuer: string; audience: string }): IdentitySource {
  const key: KeyObject = createPrivateKey(readFileSync(opts.keyFile, 'utf8'));
  const alg = ALGORITHMS[key.asymmetricKeyType ?? ''];
  if (!alg) throw new Error(`--identity-key: an Ed25519, P-256 or RSA private key (got ${key.asymmetricKeyType})`);
  return async (userId) =>
    new SignJWT({})
      .setProtectedHeader({ alg, typ: 'JWT' })
      .setSubject(userId)
      .setIssuer(opts.issuer)
      .setAudience(opts.audience)
      .setIssuedAt()
      .setExpirationTime('2h')
      .sign(key);
}

/** `POST /dev/identity` (deployments with DEV_IDENTITY=true only). */
export const identityFromDevLogin: IdentitySource = async (userId, gateway) =>
  (await gateway.createDevIdentity(userId)).data.identityToken;

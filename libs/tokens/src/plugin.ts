import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import {
  createQueueTokenSigner,
  createQueueTokenVerifier,
  type QueueTokenSigner,
  type QueueTokenVerifier,
} from './queue-tokens.js';
import {
  createDevIdentityIssuer,
  createIdentityVerifier,
  type DevIdentityIssuer,
  type IdentityVerifier,
} from './identity.js';
import type { TokensOptions } from './options.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Queue tokens: `verify` everywhere; `sign` and `jwks` only where the signing key is (the gateway). */
    queueTokens: QueueTokenVerifier & Partial<QueueTokenSigner>;
    /** Identity tokens of the fans' identity provider. */
    identity: IdentityVerifier;
    /** The development identity provider, only when DEV_IDENTITY=true. */
    devIdentity: DevIdentityIssuer | undefined;
  }
}

/** Credentials for a service, built once at boot from validated options (see options.ts). */
async function tokens(app: FastifyInstance, opts: TokensOptions) {
  const signer = opts.signingKey ? createQueueTokenSigner(opts.signingKey, { ttlSeconds: opts.ttlSeconds }) : undefined;
  const verifier = createQueueTokenVerifier(opts.queueKeys, { cacheSize: opts.cacheSize });
  app.decorate('queueTokens', { ...verifier, ...signer });
  app.decorate('identity', createIdentityVerifier(opts.identity));
  app.decorate('devIdentity', opts.devIdentity ? createDevIdentityIssuer(opts.devIdentity) : undefined);
}

export const tokensPlugin = fp(tokens, { name: 'tokens', fastify: '5.x' });

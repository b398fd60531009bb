export { TokenErrors, type TokenErrorCode } from './errors.js';
export {
  TOKEN_ALGORITHM,
  ensureLocalKeyPair,
  readPem,
  readKeySetting,
  signingKeyFrom,
  verificationKeyFrom,
  identityKeyFrom,
  type KeySetting,
  type ConfiguredPem,
  type LocalKeyName,
  type SigningKey,
  type VerificationKey,
  type PublicJwk,
} from './keys.js';
export { bearerToken, peekClaims } from './bearer.js';
export {
  createKeySetVerifier,
  JWKS_REFETCH_COOLDOWN_MS,
  JWKS_MAX_AGE_MS,
  JWKS_FETCH_TIMEOUT_MS,
  type KeySource,
} from './key-set.js';
export {
  createQueueTokenSigner,
  createQueueTokenVerifier,
  type QueueTokenClaims,
  type QueueTokenIdentity,
  type QueueTokenSigner,
  type QueueTokenVerifier,
  type QueueTokenKeySource,
} from './queue-tokens.js';
export {
  createIdentityVerifier,
  createDevIdentityIssuer,
  type Identity,
  type IdentityVerifier,
  type DevIdentityIssuer,
} from './identity.js';
export { gatewayTokensOptions, bookingTokensOptions, DEV_IDENTITY_ISSUER, type TokensOptions } from './options.js';
export { tokensPlugin } from './plugin.js';

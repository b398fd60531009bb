export {
  TOKEN_ALGORITHM,
  ensureLocalKeyPair,
  loadSigningKey,
  loadVerificationKey,
  type SigningKey,
  type VerificationKey,
  type PublicJwk,
} from './keys.js';
export { queueTokensPlugin, type QueueTokenClaims } from './plugin.js';

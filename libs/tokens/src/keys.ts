import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '@concert/config';

/** The only signing algorithm: Ed25519. Verifiers pin it; nothing else is ever accepted. */
export const TOKEN_ALGORITHM = 'EdDSA';

const LOCAL_PRIVATE_FILE = 'queue-token-ed25519.key';
const LOCAL_PUBLIC_FILE = 'queue-token-ed25519.pub';

export type PublicJwk = { kty: 'OKP'; crv: 'Ed25519'; x: string; kid: string; alg: 'EdDSA'; use: 'sig' };

export type VerificationKey = { publicKeyPem: string; jwk: PublicJwk; kid: string };
export type SigningKey = VerificationKey & { privateKeyPem: string };

function describePublicKey(publicKey: KeyObject): VerificationKey {
  const { x } = publicKey.export({ format: 'jwk' }) as { x: string };
  // RFC 7638 thumbprint: the key id is derived from the key, so every process agrees on it.
  const kid = createHash('sha256')
    .update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x }))
    .digest('base64url');
  return {
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    jwk: { kty: 'OKP', crv: 'Ed25519', x, kid, alg: TOKEN_ALGORITHM, use: 'sig' },
    kid,
  };
}

function assertEd25519(key: KeyObject, source: string) {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`${source} must be an Ed25519 key, not ${key.asymmetricKeyType ?? key.type}`);
  }
}

/** Writes `content` to `path` only if no file is there yet, atomically (several processes may race). */
function writeOnce(path: string, content: string, mode: number) {
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temporary, content, { mode });
  try {
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temporary);
  }
}

/**
 * Local runs only: the key pair in `dir`, created once by whichever process gets there first and
 * then read by all (gateway signs with it, booking reads the public half).
 */
export function ensureLocalKeyPair(dir: string): { privatePath: string; publicPath: string } {
  const absolute = resolve(dir);
  mkdirSync(absolute, { recursive: true, mode: 0o700 });
  const privatePath = join(absolute, LOCAL_PRIVATE_FILE);
  const publicPath = join(absolute, LOCAL_PUBLIC_FILE);
  const { privateKey } = generateKeyPairSync('ed25519');
  writeOnce(privatePath, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), 0o600);
  const winner = createPrivateKey(readFileSync(privatePath, 'utf8'));
  writeOnce(publicPath, createPublicKey(winner).export({ format: 'pem', type: 'spki' }).toString(), 0o644);
  return { privatePath, publicPath };
}

type KeyConfig = Pick<
  Config,
  'TOKEN_PRIVATE_KEY' | 'TOKEN_PRIVATE_KEY_FILE' | 'TOKEN_PUBLIC_KEY' | 'TOKEN_PUBLIC_KEY_FILE' | 'TOKEN_KEY_DIR'
>;

const pem = (text: string) => text.replace(/\\n/g, '\n');

/** The gateway's key: `TOKEN_PRIVATE_KEY` (PEM), `TOKEN_PRIVATE_KEY_FILE`, or the local pair. */
export function loadSigningKey(config: KeyConfig): SigningKey {
  const privatePem = config.TOKEN_PRIVATE_KEY
    ? pem(config.TOKEN_PRIVATE_KEY)
    : readFileSync(config.TOKEN_PRIVATE_KEY_FILE ?? ensureLocalKeyPair(config.TOKEN_KEY_DIR).privatePath, 'utf8');
  const privateKey = createPrivateKey(privatePem);
  assertEd25519(privateKey, 'TOKEN_PRIVATE_KEY');
  return {
    ...describePublicKey(createPublicKey(privateKey)),
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

/** Booking's key, public only: `TOKEN_PUBLIC_KEY` (PEM), `TOKEN_PUBLIC_KEY_FILE`, or the local pair. */
export function loadVerificationKey(config: KeyConfig): VerificationKey {
  const publicPem = config.TOKEN_PUBLIC_KEY
    ? pem(config.TOKEN_PUBLIC_KEY)
    : readFileSync(config.TOKEN_PUBLIC_KEY_FILE ?? ensureLocalKeyPair(config.TOKEN_KEY_DIR).publicPath, 'utf8');
  const publicKey = createPublicKey(publicPem);
  assertEd25519(publicKey, 'TOKEN_PUBLIC_KEY');
  return describePublicKey(publicKey);
}

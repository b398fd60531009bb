import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Queue tokens and development identity tokens are signed with Ed25519; verifiers pin it. */
export const TOKEN_ALGORITHM = 'EdDSA';

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

function assertEd25519(key: KeyObject, setting: string) {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`${setting} must be an Ed25519 key, not ${key.asymmetricKeyType ?? key.type}`);
  }
}

/** PEM from a setting's text (`\n` escapes allowed, as in env files) or from its file. */
export function readPem(source: { text?: string; file?: string }): string | undefined {
  if (source.text) return source.text.replace(/\\n/g, '\n');
  if (source.file) return readFileSync(source.file, 'utf8');
  return undefined;
}

/** A signing key (Ed25519 private key, PEM) with its public half described as a JWK. */
export function signingKeyFrom(privatePem: string, setting: string): SigningKey {
  const privateKey = createPrivateKey(privatePem);
  assertEd25519(privateKey, setting);
  return {
    ...describePublicKey(createPublicKey(privateKey)),
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

/** A verification key (Ed25519 public key, PEM), described as a JWK. */
export function verificationKeyFrom(publicPem: string, setting: string): VerificationKey {
  const publicKey = createPublicKey(publicPem);
  assertEd25519(publicKey, setting);
  return describePublicKey(publicKey);
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

/** The local key pairs `npm start` keeps (git-ignored): queue tokens, development identity. */
export type LocalKeyName = 'queue-token' | 'dev-identity';

/**
 * Local runs only (`npm start`; no app ever calls this): the Ed25519 key pair `name` in `dir`,
 * created once by whichever process gets there first and then read by all.
 */
export function ensureLocalKeyPair(dir: string, name: LocalKeyName): { privatePath: string; publicPath: string } {
  const absolute = resolve(dir);
  mkdirSync(absolute, { recursive: true, mode: 0o700 });
  const privatePath = join(absolute, `${name}-ed25519.key`);
  const publicPath = join(absolute, `${name}-ed25519.pub`);
  const { privateKey } = generateKeyPairSync('ed25519');
  writeOnce(privatePath, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), 0o600);
  const winner = createPrivateKey(readFileSync(privatePath, 'utf8'));
  writeOnce(publicPath, createPublicKey(winner).export({ format: 'pem', type: 'spki' }).toString(), 0o644);
  return { privatePath, publicPath };
}

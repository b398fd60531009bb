import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, type Config } from '@concert/config';

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

/** Settings that hold a key as PEM text, each with a `<NAME>_FILE` twin naming a file that holds it. */
export type KeySetting = 'TOKEN_PRIVATE_KEY' | 'TOKEN_PUBLIC_KEY' | 'IDENTITY_PUBLIC_KEY' | 'DEV_IDENTITY_PRIVATE_KEY';

/** A configured key: its PEM, and the setting it came from as a message names it (never its content). */
export type ConfiguredPem = { pem: string; setting: string };

/** PEM from a setting's text (`\n` escapes allowed, as in env files) or from its file. */
export function readPem(source: { text?: string; file?: string }): string | undefined {
  if (source.text) return source.text.replace(/\\n/g, '\n');
  if (source.file) return readFileSync(source.file, 'utf8');
  return undefined;
}

/**
 * The PEM of a key setting: `<NAME>` or the file `<NAME>_FILE` names (see `readPem`); undefined
 * when neither is set. Throws ConfigError, naming the variable, when both are set or the file
 * cannot be read.
 */
export function readKeySetting(config: Config, name: KeySetting): ConfiguredPem | undefined {
  const text = config[name];
  const file = config[`${name}_FILE`];
  if (text && file) throw new ConfigError(`${name} and ${name}_FILE are both set: set one of them`);
  let pem: string | undefined;
  try {
    pem = readPem({ text, file });
  } catch (error) {
    throw new ConfigError(`${name}_FILE=${JSON.stringify(file)} cannot be read: ${(error as Error).message}`);
  }
  if (pem === undefined) return undefined;
  return { pem, setting: text ? `${name}=(hidden)` : `${name}_FILE=${JSON.stringify(file)}` };
}

const ED25519_PRIVATE = 'an Ed25519 private key (PEM)';
const ED25519_PUBLIC = 'an Ed25519 public key (PEM)';

/** Parses a key with `parse`, or throws ConfigError naming `setting` and what it accepts. */
function parseKey(setting: string, expected: string, parse: () => KeyObject, accept: (key: KeyObject) => boolean) {
  let key: KeyObject;
  try {
    key = parse();
  } catch {
    throw new ConfigError(`${setting} is not valid: expected ${expected}`);
  }
  if (!accept(key)) {
    const found = key.asymmetricKeyDetails?.namedCurve ?? key.asymmetricKeyType ?? key.type;
    throw new ConfigError(`${setting} is not valid: expected ${expected}, not ${found}`);
  }
  return key;
}

const isEd25519 = (key: KeyObject) => key.asymmetricKeyType === 'ed25519';

/** A signing key (Ed25519 private key, PEM) with its public half described as a JWK; ConfigError naming `setting` otherwise. */
export function signingKeyFrom(privatePem: string, setting: string): SigningKey {
  const privateKey = parseKey(setting, ED25519_PRIVATE, () => createPrivateKey(privatePem), isEd25519);
  return {
    ...describePublicKey(createPublicKey(privateKey)),
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

/** A verification key (Ed25519 public key, PEM), described as a JWK; ConfigError naming `setting` otherwise. */
export function verificationKeyFrom(publicPem: string, setting: string): VerificationKey {
  return describePublicKey(parseKey(setting, ED25519_PUBLIC, () => createPublicKey(publicPem), isEd25519));
}

/**
 * An identity provider's public key (RSA, P-256 or Ed25519: what RS256, ES256 and EdDSA verify
 * with) as SPKI PEM; ConfigError naming `setting` otherwise.
 */
export function identityKeyFrom(publicPem: string, setting: string): string {
  const key = parseKey(
    setting,
    'an RSA, P-256 or Ed25519 public key (PEM)',
    () => createPublicKey(publicPem),
    (key) =>
      key.asymmetricKeyType === 'rsa' ||
      isEd25519(key) ||
      (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'),
  );
  return key.export({ format: 'pem', type: 'spki' }).toString();
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

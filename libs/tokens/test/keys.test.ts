import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { loadSigningKey, loadVerificationKey } from '../src/index.js';

const run = promisify(execFile);
const keyConfig = (dir: string, extra: Record<string, string> = {}) => ({ TOKEN_KEY_DIR: dir, ...extra });

t.test('a local key pair is created once, even by several processes at the same moment', async (t) => {
  const dir = t.testdir();
  const script = `import('${new URL('../src/keys.ts', import.meta.url).href}').then(({ ensureLocalKeyPair }) => ensureLocalKeyPair(process.argv[1]))`;
  await Promise.all(
    Array.from({ length: 6 }, () => run(process.execPath, ['--import=tsx', '--input-type=module', '-e', script, dir])),
  );
  const privatePem = readFileSync(join(dir, '.', 'queue-token-ed25519.key'), 'utf8');
  const signing = loadSigningKey(keyConfig(dir));
  const verifying = loadVerificationKey(keyConfig(dir));
  t.equal(signing.privateKeyPem.trim(), privatePem.trim(), 'one private key survived');
  t.equal(signing.kid, verifying.kid, 'the public file belongs to that private key');
  t.equal(loadSigningKey(keyConfig(dir)).kid, signing.kid, 'reading again gives the same key id');
});

t.test('keys from configuration: PEM text (with \\n escapes) or a file; Ed25519 only', async (t) => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const fromEnv = loadSigningKey(keyConfig(t.testdir(), { TOKEN_PRIVATE_KEY: pem.replace(/\n/g, '\\n') }));
  t.match(fromEnv.jwk, { kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
  t.notOk('d' in fromEnv.jwk, 'the JWK is public');
  const verifying = loadVerificationKey(keyConfig(t.testdir(), { TOKEN_PUBLIC_KEY: fromEnv.publicKeyPem }));
  t.equal(verifying.kid, fromEnv.kid);

  const { privateKey: rsa } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  t.throws(
    () =>
      loadSigningKey(
        keyConfig(t.testdir(), { TOKEN_PRIVATE_KEY: rsa.export({ format: 'pem', type: 'pkcs8' }).toString() }),
      ),
    /must be an Ed25519 key/,
  );
});

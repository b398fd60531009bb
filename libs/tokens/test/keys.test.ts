import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import t from 'tap';
import { ensureLocalKeyPair, readPem, signingKeyFrom, verificationKeyFrom } from '../src/index.js';

const run = promisify(execFile);

t.test('a local key pair is created once, even by several processes at the same moment', async (t) => {
  const dir = t.testdir();
  const script = `import('${new URL('../src/keys.ts', import.meta.url).href}').then(({ ensureLocalKeyPair }) => ensureLocalKeyPair(process.argv[1], 'queue-token'))`;
  await Promise.all(
    Array.from({ length: 6 }, () =>
      run(process.execPath, ['--conditions=@concert/source', '--import=tsx', '--input-type=module', '-e', script, dir]),
    ),
  );
  const { privatePath, publicPath } = ensureLocalKeyPair(dir, 'queue-token');
  const signing = signingKeyFrom(readFileSync(privatePath, 'utf8'), 'TOKEN_PRIVATE_KEY');
  const verifying = verificationKeyFrom(readFileSync(publicPath, 'utf8'), 'TOKEN_PUBLIC_KEY');
  t.equal(signing.kid, verifying.kid, 'one private key survived, and the public file belongs to it');
  const identity = ensureLocalKeyPair(dir, 'dev-identity');
  t.not(
    signingKeyFrom(readFileSync(identity.privatePath, 'utf8'), 'x').kid,
    signing.kid,
    'the development identity pair is a pair of its own',
  );
});

t.test('keys from configuration: PEM text (with \\n escapes) or a file; Ed25519 only', async (t) => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const fromEnv = signingKeyFrom(readPem({ text: pem.replace(/\n/g, '\\n') })!, 'TOKEN_PRIVATE_KEY');
  t.match(fromEnv.jwk, { kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
  t.notOk('d' in fromEnv.jwk, 'the JWK is public');
  t.equal(verificationKeyFrom(fromEnv.publicKeyPem, 'TOKEN_PUBLIC_KEY').kid, fromEnv.kid);
  t.equal(readPem({}), undefined, 'nothing configured reads as nothing (no key is ever made up)');

  const { privateKey: rsa } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  t.throws(
    () => signingKeyFrom(rsa.export({ format: 'pem', type: 'pkcs8' }).toString(), 'TOKEN_PRIVATE_KEY'),
    /^TOKEN_PRIVATE_KEY is not valid: expected an Ed25519 private key \(PEM\), not rsa$/,
  );
});

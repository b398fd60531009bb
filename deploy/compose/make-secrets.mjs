#!/usr/bin/env node
// Creates the secrets docker-compose.yml mounts as files, once: the queue-token key pair, the
// development login's key pair and an admin key. Existing files are kept (delete one to rotate it).
// Usage: node deploy/compose/make-secrets.mjs [directory]   (default: deploy/compose/secrets)
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = process.argv[2] ?? fileURLToPath(new URL('./secrets', import.meta.url));
mkdirSync(dir, { recursive: true, mode: 0o700 });

function write(name, content) {
  const path = join(dir, name);
  if (existsSync(path)) return console.log(`kept    ${path}`);
  // World-readable on the host: compose bind-mounts file secrets with the host's permissions, and
  // the services run as the image's `node` user. Keep the directory itself private.
  writeFileSync(path, content, { mode: 0o644 });
  console.log(`created ${path}`);
}

function keyPair(prefix) {
  if (existsSync(join(dir, `${prefix}.key`))) return console.log(`kept    ${join(dir, `${prefix}.key`)} (and .pub)`);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  write(`${prefix}.key`, privateKey.export({ format: 'pem', type: 'pkcs8' }));
  write(`${prefix}.pub`, publicKey.export({ format: 'pem', type: 'spki' }));
}

keyPair('token');
keyPair('dev-identity');
write('admin-key', `${randomBytes(24).toString('base64url')}\n`);

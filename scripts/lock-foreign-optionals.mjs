// The npm registry proxy of these machines does not serve some platform-specific optional
// packages (msgpackr-extract's darwin/win32/linux-arm builds answer 404), so `npm install` leaves
// them out of package-lock.json and `npm ci` then refuses the lock as out of sync. This adds
// their entries (optional, with their os/cpu, so npm skips them here and installs them where
// they exist). Run after changing dependencies: `node scripts/lock-foreign-optionals.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const platforms = {
  'darwin-arm64': ['darwin', 'arm64'],
  'darwin-x64': ['darwin', 'x64'],
  'linux-arm': ['linux', 'arm'],
  'linux-arm64': ['linux', 'arm64'],
  'linux-x64': ['linux', 'x64'],
  'win32-x64': ['win32', 'x64'],
};
let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const match = /^@msgpackr-extract\/msgpackr-extract-(.+)$/.exec(name);
    const key = `node_modules/${name}`;
    if (!match || lock.packages[key] || !platforms[match[1]]) continue;
    const [os, cpu] = platforms[match[1]];
    lock.packages[key] = { version, cpu: [cpu], license: 'MIT', optional: true, os: [os] };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} lock entries`);

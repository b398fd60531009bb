import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The least a built site needs for the web process to start (WEB_STATIC_DIR): its two pages. The
 * operations tests look at the web process's metrics and answers, not at its pages, so they skip
 * the Vite build the browser tests make.
 */
export function writeStaticSite(dir: string) {
  mkdirSync(join(dir, 'console'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Concert</title>\n');
  writeFileSync(join(dir, 'console/index.html'), '<!doctype html><title>Console</title>\n');
  return dir;
}

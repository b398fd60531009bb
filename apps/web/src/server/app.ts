import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import fastifyStatic from '@fastify/static';
import type { Config } from '@concert/config';
import { errorHandlerPlugin, healthPlugin, metricsPlugin } from '@concert/http';
import { siteConfig } from '../shared/site-config.js';
import { contentSecurityPolicy, siteConfigOf } from './site-config.js';

export { checkWebConfig } from './site-config.js';
export type WebOptions = { config: Config };

/**
 * Where the built site is: WEB_STATIC_DIR, else this app's `dist/public` (this file runs from
 * `dist/server/` once built and from `src/server/` in development and tests).
 */
export function staticDirOf(config: Config): string {
  if (config.WEB_STATIC_DIR) return config.WEB_STATIC_DIR;
  const fromDist = !import.meta.url.includes('/src/server/');
  return fileURLToPath(new URL(fromDist ? '../public/' : '../../dist/public/', import.meta.url));
}

// Vite names every asset by its content hash: a changed file gets a new name, so keep them a year.
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The web app: the built fans' site (`/`) and operators' console (`/console/`), `/config.json`
 * telling the browser where the APIs are, and the health endpoints. Nothing stateful: any number
 * of instances serve the same files.
 */
async function web(app: FastifyInstance, { config }: WebOptions) {
  const site = siteConfigOf(config);
  const root = staticDirOf(config);
  if (!existsSync(`${root}/index.html`)) {
    throw new Error(`the built site is missing: no ${root}/index.html (run \`npm run build\`)`);
  }
  const csp = contentSecurityPolicy(site);

  await app.register(errorHandlerPlugin);
  await app.register(metricsPlugin, { serviceName: 'web' });
  await app.register(healthPlugin, { checks: [] });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    // OIDC puts the authorization code in the URL: never send it on in a Referer.
    reply.header('referrer-policy', 'no-referrer');
    if (request.method === 'GET' || request.method === 'HEAD') {
      const path = request.url.split('?')[0]!;
      if (path.startsWith('/assets/')) reply.header('cache-control', IMMUTABLE);
      else if (!path.startsWith('/health') && path !== '/metrics' && path !== '/config.json') {
        // Pages: always revalidate, so a deployment's new asset names are seen at once.
        reply.header('cache-control', 'no-cache');
        reply.header('content-security-policy', csp);
      }
    }
  });

  app.get(
    '/config.json',
    { schema: { hide: true, response: { 200: siteConfig } }, logLevel: 'warn' },
    async () => site,
  );

  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    index: ['index.html'],
    // `/console` → `/console/`, whose index.html is the console.
    redirect: true,
    cacheControl: false,
    etag: true,
    lastModified: true,
  });
}

export default fp(web, { name: 'web-app', fastify: '5.x' });

import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';

const root = fileURLToPath(new URL('./src/client/', import.meta.url));

/**
 * Two pages, one build: the fans' site (`/`) and the operators' console (`/console/`), written
 * to `dist/public` for the app's server. The libs are TypeScript sources behind the
 * `@concert/source` export condition, as everywhere in the workspace.
 */
export default defineConfig({
  root,
  base: '/',
  resolve: { conditions: ['@concert/source', ...defaultClientConditions] },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('./dist/public/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    rolldownOptions: {
      input: { fan: `${root}index.html`, console: `${root}console/index.html` },
    },
  },
  logLevel: 'warn',
});

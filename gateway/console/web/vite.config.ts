import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The web console: built into dist/console by `npm run build` (and so by `npm ci`), served by the
// gateway at /console. Everything it loads comes from there: no CDN.
const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: '/console/',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: path.resolve(here, '../../../dist/console'),
    emptyOutDir: true,
    target: 'es2022',
    // GraphiQL's editor (Monaco) is large; it is loaded only when the Explore panel opens.
    chunkSizeWarningLimit: 5000,
    rollupOptions: {
      onwarn(warning, warn) {
        // React libraries mark modules "use client" (for server components); meaningless in a bundle.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  // `npm run console:dev`: the console from its sources with live reload, talking to a running
  // stack's gateway (DISTRAG_CONSOLE_GATEWAY, default NGINX on :8080) for /graphql and /console/api.
  server: {
    proxy: Object.fromEntries(
      ['/graphql', '/console/api'].map((prefix) => [prefix, { target: process.env.DISTRAG_CONSOLE_GATEWAY ?? 'http://127.0.0.1:8080', ws: prefix === '/graphql' }]),
    ),
  },
  // GraphiQL's worker setup imports Monaco's workers with `?worker`, which the dev server's
  // dependency pre-bundling cannot read: served as they are instead.
  optimizeDeps: { exclude: ['graphiql/setup-workers/vite', '@graphiql/react/setup-workers/vite'] },
  esbuild: { jsx: 'automatic' },
  worker: { format: 'es' },
});

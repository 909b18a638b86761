/**
 * The web client's build: a static bundle in web/dist whose bytes depend only
 * on the sources (no timestamps, content-hashed names), so the same commit
 * gives the same bundle hash. Everything is bundled: no CDN, no web fonts,
 * no inline script or style (the page runs under `script-src 'self'`).
 */
import { resolve } from 'node:path';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// A build is a production build whatever NODE_ENV the caller has (vitest sets `test`): otherwise Preact's JSX
// dev transform writes this machine's source paths into the bundle and the hash differs.
process.env.NODE_ENV = 'production';

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [preact({ devToolsEnabled: false, prerender: { enabled: false } })],
  build: {
    outDir: resolve(import.meta.dirname, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // No `data:` URLs or inline module preload polyfill: every asset is a file the CSP allows.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    // One bundle (the attestation verifier is most of it): nothing to split for a single-page app.
    chunkSizeWarningLimit: 1024,
  },
});

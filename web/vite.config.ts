// Vite config of the web UI. Built into dist/web/, which `diary-events server` serves at `/`.
// Run from the repository root: `vite build --config web/vite.config.ts` (part of `npm run build`).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    // The server sends `default-src 'self'`: no inline scripts or styles, so no inlined assets either.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: {
    // `npx vite --config web/vite.config.ts` for UI work against a running `npm start` (PORT 8080).
    proxy: {
      '/diary.v1.': { target: 'http://127.0.0.1:8080', changeOrigin: false },
    },
  },
});

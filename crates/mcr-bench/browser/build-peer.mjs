// Bundles the React peer (peer/entry.jsx) with esbuild for production: minified, with
// process.env.NODE_ENV set to "production" so React drops its development build, and
// without legal comments (the panel's wasm carries none either). CSS imported by the
// entry lands beside it as entry.css.
//
// Usage: node build-peer.mjs OUT_DIR
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const outdir = process.argv[2];
if (!outdir) {
  console.error('usage: node build-peer.mjs OUT_DIR');
  process.exit(2);
}

await build({
  entryPoints: [fileURLToPath(new URL('./peer/entry.jsx', import.meta.url))],
  outdir,
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  jsx: 'automatic',
  define: { 'process.env.NODE_ENV': '"production"' },
  legalComments: 'none',
  logLevel: 'warning',
});

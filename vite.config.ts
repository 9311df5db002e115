// Vite config for the app, its worker, the benchmark page, and the dev/preview servers, which also serve the
// local CIFAR-10 archive (data/cifar-10-binary.tar.gz, or the file named by $CIFAR10_TARBALL) at /data/cifar10.tar.gz.
import { defineConfig, type Connect, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

export const DATA_URL = '/data/cifar10.tar.gz';

function localArchive(): string | undefined {
  const candidates = [process.env.CIFAR10_TARBALL, resolve('data/cifar-10-binary.tar.gz'), resolve('data/cifar-10-subset-binary.tar.gz')];
  return candidates.find((p): p is string => !!p && existsSync(p));
}

/** Serves the local archive, so the app can load CIFAR-10 without a file picker. 404 when there is none. */
function serveDataset(): Plugin {
  const handler: Connect.NextHandleFunction = (req, res, next) => {
    if (!req.url || req.url.split('?')[0] !== DATA_URL) return next();
    const file = localArchive();
    if (!file) {
      res.statusCode = 404;
      res.end('No local CIFAR-10 archive: run `npm run fetch-data`, set CIFAR10_TARBALL, or pick the file in the app.');
      return;
    }
    res.setHeader('Content-Type', 'application/gzip');
    res.setHeader('Content-Length', String(statSync(file).size));
    res.setHeader('Cache-Control', 'no-store');
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  };
  return {
    name: 'serve-cifar10',
    configureServer: (server) => void server.middlewares.use(handler),
    configurePreviewServer: (server) => void server.middlewares.use(handler),
  };
}

/**
 * The production page's Content-Security-Policy: scripts and workers only from our own origin (no inline script,
 * no eval), data from our origin or any https URL the user types, nothing embedded. Build only: the dev server's
 * React refresh preamble is an inline script.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self'",
  "connect-src 'self' https:",
  "img-src 'self' data: blob:",
  "style-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

function contentSecurityPolicy(): Plugin {
  return {
    name: 'content-security-policy',
    apply: 'build',
    transformIndexHtml: () => [
      { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }, injectTo: 'head-prepend' },
    ],
  };
}

export default defineConfig({
  plugins: [react(), serveDataset(), contentSecurityPolicy()],
  worker: { format: 'es' },
  build: { target: 'es2022', sourcemap: true },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});

// The stylesheets, script, icon and logo of our pages, held in memory from boot and served with validators.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Middleware } from 'koa';

/** One file served under /assets/. */
export interface AssetFile {
  path: string;
  type: string;
  body: Buffer;
  /** The path names the content (a hash), so browsers may keep it for a year. */
  immutable?: boolean;
  /** A Content-Security-Policy of its own, replacing the pages' one. */
  csp?: string;
}

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * The SimpleWebAuthn browser helper, served from our origin (the CSP allows no other script
 * origin): its UMD bundle defines `SimpleWebAuthnBrowser`, which passkeys.js uses.
 */
export function webauthnHelper(): AssetFile {
  const main = fileURLToPath(import.meta.resolve('@simplewebauthn/browser'));
  const bundle = path.join(path.dirname(main), '../dist/bundle/index.umd.min.js');
  return { path: '/assets/webauthn.js', type: TYPES['.js'] as string, body: readFileSync(bundle) };
}

/** Serves latchkey.css, latchkey.js, passkeys.js and favicon.svg from `dir`, and the files in `extra`. */
export function assets(dir: string, extra: readonly AssetFile[] = []): Middleware {
  const files = new Map<string, AssetFile & { etag: string }>();
  const fromDisk = ['latchkey.css', 'latchkey.js', 'passkeys.js', 'favicon.svg'].map((name) => ({
    path: `/assets/${name}`,
    type: TYPES[path.extname(name)] ?? 'application/octet-stream',
    body: readFileSync(path.join(dir, name)),
  }));
  for (const file of [...fromDisk, ...extra]) {
    const etag = `"${createHash('sha256').update(file.body).digest('base64url').slice(0, 22)}"`;
    files.set(file.path, { ...file, etag });
  }
  return async (ctx, next) => {
    const file = files.get(ctx.path);
    if (!file || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    ctx.set(
      'Cache-Control',
      file.immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=3600',
    );
    ctx.set('ETag', file.etag);
    ctx.set('Cross-Origin-Resource-Policy', 'same-origin');
    if (file.csp) ctx.set('Content-Security-Policy', file.csp);
    if (ctx.get('if-none-match') === file.etag) {
      ctx.status = 304;
      return;
    }
    ctx.type = file.type;
    ctx.body = file.body;
  };
}

// The stylesheet, script and icon of our pages, read once at boot and served with validators.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Middleware } from 'koa';

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export function assets(dir: string): Middleware {
  const files = new Map<string, { body: Buffer; type: string; etag: string }>();
  for (const name of ['latchkey.css', 'latchkey.js', 'favicon.svg']) {
    const body = readFileSync(path.join(dir, name));
    const type = TYPES[path.extname(name)] ?? 'application/octet-stream';
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    files.set(`/assets/${name}`, { body, type, etag });
  }
  return async (ctx, next) => {
    const file = files.get(ctx.path);
    if (!file || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.set('ETag', file.etag);
    ctx.set('Cross-Origin-Resource-Policy', 'same-origin');
    if (ctx.get('if-none-match') === file.etag) {
      ctx.status = 304;
      return;
    }
    ctx.type = file.type;
    ctx.body = file.body;
  };
}

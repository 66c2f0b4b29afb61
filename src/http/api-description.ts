// GET /openapi.json: docs/openapi.yaml as JSON, naming this issuer as its server; public, cacheable
// and readable from any origin, so tools can load it. Read when the app is made: a broken file stops boot.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Middleware } from 'koa';
import { parse } from 'yaml';
import { HttpProblem } from './http-errors.ts';

export const API_DESCRIPTION_FILE = path.resolve(import.meta.dirname, '../../docs/openapi.yaml');
export const API_DESCRIPTION_PATH = '/openapi.json';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** The URL members of security schemes, which the source gives relative to the server. */
const SCHEME_URLS = ['openIdConnectUrl'] as const;
const FLOW_URLS = ['authorizationUrl', 'tokenUrl', 'refreshUrl'] as const;

/**
 * The document as served by `issuer`: its only server is the issuer, and the security schemes'
 * URLs are absolute (some OAuth tools do not resolve them against the server).
 */
export function describedFor(source: Json, issuer: string): Json {
  const document = structuredClone(source);
  document.servers = [{ url: issuer }];
  const absolute = (value: unknown) =>
    typeof value === 'string' && value.startsWith('/') ? `${issuer}${value}` : value;
  const components = isObject(document.components) ? document.components : {};
  const schemes = isObject(components.securitySchemes) ? components.securitySchemes : {};
  for (const scheme of Object.values(schemes)) {
    if (!isObject(scheme)) continue;
    for (const key of SCHEME_URLS) if (key in scheme) scheme[key] = absolute(scheme[key]);
    const flows = isObject(scheme.flows) ? scheme.flows : {};
    for (const flow of Object.values(flows)) {
      if (!isObject(flow)) continue;
      for (const key of FLOW_URLS) if (key in flow) flow[key] = absolute(flow[key]);
    }
  }
  return document;
}

/** Reads and parses the YAML source; anything but an OpenAPI 3.1 object is refused. */
export function readApiDescription(file = API_DESCRIPTION_FILE): Json {
  const document: unknown = parse(readFileSync(file, 'utf8'));
  if (!isObject(document) || typeof document.openapi !== 'string') {
    throw new Error(`${file} is not an OpenAPI document`);
  }
  if (!document.openapi.startsWith('3.1.')) {
    throw new Error(`${file} is OpenAPI ${document.openapi}, expected 3.1`);
  }
  return document;
}

export function apiDescription(options: { issuer: string; file?: string }): Middleware {
  const body = JSON.stringify(describedFor(readApiDescription(options.file), options.issuer));
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  return async (ctx, next) => {
    if (ctx.path !== API_DESCRIPTION_PATH) return next();
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      ctx.set('Allow', 'GET, HEAD');
      throw new HttpProblem(405, 'method_not_allowed', 'request.method_not_allowed', {
        method: ctx.method,
      });
    }
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.remove('Pragma');
    ctx.set('ETag', etag);
    // Tools (Swagger UI, Postman, code generators) load it from pages of other origins.
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.set('Cross-Origin-Resource-Policy', 'cross-origin');
    // Koa judges If-None-Match only against a successful status.
    ctx.status = 200;
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    ctx.type = 'application/json';
    ctx.body = body;
  };
}

// The small HTTP kit both demo apps share: escaped HTML pages under a strict CSP, form bodies,
// cookies, and the back-channel logout receiver.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DemoLog } from './demo-log.ts';
import {
  type LogoutTarget,
  type LogoutTokenCheck,
  LogoutTokenRejected,
  verifyLogoutToken,
} from './logout-token.ts';

/** Markup that is already safe; everything else interpolated into `html` is escaped. */
export class Html {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString() {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    const part = Array.isArray(v) ? v.map((x) => render(x)).join('') : render(v);
    out += part + (strings[i + 1] ?? '');
  });
  return new Html(out);
}
const render = (v: unknown) =>
  v instanceof Html
    ? v.value
    : v === undefined || v === null || v === false
      ? ''
      : escapeHtml(String(v));

export const STYLESHEET = `
body { font: 18px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #1b1b1b; }
header { display: flex; justify-content: space-between; align-items: baseline; border-bottom: 1px solid #ccc; }
button, .button { font: inherit; padding: .5rem 1rem; border: 1px solid #335; border-radius: 4px; background: #335; color: #fff; text-decoration: none; cursor: pointer; }
button.secondary { background: #fff; color: #335; }
.code { font: 700 4rem/1.2 ui-monospace, monospace; letter-spacing: .15em; margin: 1rem 0; }
.qr { width: 16rem; height: 16rem; background: #fff; }
.notice { padding: .75rem 1rem; border-left: 4px solid #b35900; background: #fff4e5; }
pre { background: #f4f4f4; padding: 1rem; overflow-x: auto; font-size: 14px; }
`;

export interface Page {
  app: string;
  title: string;
  body: Html;
  /** Reloads the page after this many seconds (a meta refresh: no script needed). */
  refreshSeconds?: number;
}

/** The CSP: nothing inline, no scripts at all; images and form targets only where named. */
export function contentSecurityPolicy(issuer: URL) {
  return [
    "default-src 'none'",
    "style-src 'self'",
    `img-src 'self' ${issuer.origin}`,
    // Form posts that redirect to the issuer (sign-out) are checked against form-action too.
    `form-action 'self' ${issuer.origin}`,
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function sendPage(res: ServerResponse, issuer: URL, page: Page, status = 200) {
  const refresh = page.refreshSeconds
    ? html`<meta http-equiv="refresh" content="${page.refreshSeconds}">`
    : '';
  const doc = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${refresh}<title>${page.title} · ${page.app}</title>
<link rel="stylesheet" href="/demo.css"></head>
<body><header><h1>${page.app}</h1><span>a Latchkey demo</span></header>
<main>${page.body}</main></body></html>`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': contentSecurityPolicy(issuer),
    'x-content-type-options': 'nosniff',
    // not no-referrer: with it, browsers send "Origin: null" on the page's own form posts.
    'referrer-policy': 'same-origin',
    'cache-control': 'no-store',
  });
  res.end(doc.value);
}

export function sendStylesheet(res: ServerResponse) {
  res.writeHead(200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'max-age=300' });
  res.end(STYLESHEET);
}

export function redirect(
  res: ServerResponse,
  location: string,
  headers: Record<string, string> = {},
) {
  res.writeHead(303, { location, 'cache-control': 'no-store', ...headers });
  res.end();
}

export function sendText(res: ServerResponse, status: number, text: string) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}

/** A urlencoded body of at most 64 KiB. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > 65536) throw new Error('body too large');
  }
  return new URLSearchParams(body);
}

export function cookies(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0) out.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  return out;
}

/**
 * A form post from this app's own page: Sec-Fetch-Site says so where browsers send it; otherwise
 * the Origin is ours (or absent, from old agents). Anything cross-site is refused.
 */
export function sameOrigin(req: IncomingMessage, own: URL) {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin';
  const origin = req.headers.origin;
  return origin === undefined || origin === own.origin;
}

/**
 * POST /backchannel-logout: 200 once the matching local sessions are ended, 400 with an OAuth
 * error body when the token is missing or refused (Back-Channel Logout 1.0, section 2.8).
 */
export async function receiveLogoutToken(
  req: IncomingMessage,
  res: ServerResponse,
  check: LogoutTokenCheck,
  log: DemoLog,
  end: (target: LogoutTarget) => number,
) {
  const answer = (status: number, body?: Record<string, string>) => {
    res.writeHead(status, { 'cache-control': 'no-store', 'content-type': 'application/json' });
    res.end(body ? JSON.stringify(body) : '');
  };
  const token = (await readForm(req)).get('logout_token');
  if (!token) {
    log('backchannel_logout.refused', { reason: 'no logout_token' });
    return answer(400, { error: 'invalid_request', error_description: 'logout_token missing' });
  }
  try {
    const target = await verifyLogoutToken(token, check);
    const ended = end(target);
    log('backchannel_logout.received', { ...target, ended });
    answer(200);
  } catch (error) {
    if (!(error instanceof LogoutTokenRejected)) throw error;
    log('backchannel_logout.refused', { reason: error.reason });
    answer(400, { error: 'invalid_request', error_description: error.reason });
  }
}

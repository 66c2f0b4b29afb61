// "TV": a demo device app signed in with the device authorization grant (RFC 8628). Its page shows
// the user code and a QR code of the verification link; the server polls the token endpoint,
// refreshes on request, and forgets its tokens when a back-channel logout token names its person.
//   ISSUER (http://localhost:3000), APP_NAME (TV), CLIENT_ID (demo-tv), HOST (127.0.0.1), PORT (3002), PUBLIC_URL
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as client from 'openid-client';
import { type DemoConfig, demoConfig } from './demo-config.ts';
import {
  type Html,
  html,
  readForm,
  receiveLogoutToken,
  redirect,
  sameOrigin,
  sendPage,
  sendStylesheet,
  sendText,
} from './demo-http.ts';
import { type DemoLog, demoLog } from './demo-log.ts';
import { listen } from './demo-server.ts';
import type { LogoutTarget } from './logout-token.ts';
import { discoverWithRetry, type RelyingParty } from './relying-party.ts';

type Tokens = client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;
type TvState =
  | { kind: 'idle'; note?: string }
  | { kind: 'waiting'; auth: client.DeviceAuthorizationResponse; until: number }
  | { kind: 'signed-in'; tokens: Tokens; claims: client.IDToken; note?: string };

/** The TV's request handler: one device, so one state, no cookies. */
export function tvHandler(config: DemoConfig, { rp, logoutCheck }: RelyingParty, log: DemoLog) {
  let state: TvState = { kind: 'idle' };
  let polling: AbortController | undefined;
  const app = config.name;

  const start = async () => {
    polling?.abort();
    let auth: client.DeviceAuthorizationResponse;
    try {
      auth = await client.initiateDeviceAuthorization(rp, {
        scope: 'openid profile email offline_access',
      });
    } catch (error) {
      const code = error instanceof client.ResponseBodyError ? error.error : String(error);
      state = { kind: 'idle', note: `Could not get a code: ${code}` };
      log('device_authorization.refused', { error: code });
      return;
    }
    state = { kind: 'waiting', auth, until: Date.now() + auth.expires_in * 1000 };
    log('device_authorization.started', { expires_in: auth.expires_in, interval: auth.interval });
    const controller = new AbortController();
    polling = controller;
    // pollDeviceAuthorizationGrant waits `interval` between polls, adds 5 s on slow_down and
    // returns at the first success: a device_code is never presented again after that.
    client
      .pollDeviceAuthorizationGrant(rp, auth, undefined, { signal: controller.signal })
      .then((tokens) => {
        if (polling !== controller) return;
        const claims = tokens.claims();
        if (!claims) throw new Error('no id_token');
        state = { kind: 'signed-in', tokens, claims };
        log('device_authorization.signed_in', { sub: claims.sub });
      })
      .catch((error: unknown) => {
        if (polling !== controller || controller.signal.aborted) return;
        const code = error instanceof client.ResponseBodyError ? error.error : String(error);
        state = { kind: 'idle', note: `The sign-in did not complete: ${code}` };
        log('device_authorization.failed', { error: code });
      });
  };

  const refresh = async () => {
    if (state.kind !== 'signed-in' || !state.tokens.refresh_token) return;
    const { claims, tokens } = state;
    try {
      const fresh = await client.refreshTokenGrant(rp, tokens.refresh_token as string);
      state = {
        kind: 'signed-in',
        tokens: fresh,
        claims: fresh.claims() ?? claims,
        note: `Refreshed at ${new Date().toISOString()}: a new access token, valid ${fresh.expires_in ?? '?'} s.`,
      };
      log('refresh.ok', { sub: claims.sub });
    } catch (error) {
      if (!(error instanceof client.ResponseBodyError)) throw error;
      // invalid_grant: the grant is gone (signed out from the devices page, or revoked).
      state = { kind: 'idle', note: `The refresh was refused: ${error.error}. Sign in again.` };
      log('refresh.refused', { sub: claims.sub, error: error.error });
    }
  };

  /** The TV shows no browser session of its own: a logout token for its person signs it out. */
  const endMatching = (target: LogoutTarget) => {
    if (state.kind !== 'signed-in' || target.sub !== state.claims.sub) return 0;
    state = { kind: 'idle', note: 'This TV was signed out from another device.' };
    return 1;
  };

  const page = (): { title: string; body: Html; refreshSeconds?: number } => {
    const note = (text?: string) => (text ? html`<p class="notice" role="status">${text}</p>` : '');
    if (state.kind === 'waiting') {
      const { auth } = state;
      const qr = new URL(`/device/qr/${encodeURIComponent(auth.user_code)}.svg`, config.issuer);
      const minutes = Math.max(0, Math.round((state.until - Date.now()) / 60000));
      return {
        title: 'Sign in',
        refreshSeconds: 3,
        body: html`<p>On your phone or laptop, open <strong>${auth.verification_uri}</strong> and enter</p>
<p class="code" aria-label="user code">${auth.user_code}</p>
<p>or scan this code:</p>
<img class="qr" src="${qr.toString()}" alt="QR code of ${auth.verification_uri_complete ?? auth.verification_uri}">
<p>The code expires in about ${minutes} minutes. Waiting for you to confirm…</p>
<form method="post" action="/start"><button class="secondary" type="submit">New code</button></form>`,
      };
    }
    if (state.kind === 'signed-in') {
      const { claims } = state;
      const who = [claims.name, claims.email].filter((v) => typeof v === 'string').join(' · ');
      return {
        title: 'Signed in',
        refreshSeconds: 5,
        body: html`${note(state.note)}<p>Signed in as <strong>${who || claims.sub}</strong>.</p>
<form method="post" action="/refresh"><button type="submit">Refresh the tokens</button></form>
<h2>id_token claims</h2><pre>${JSON.stringify(claims, null, 2)}</pre>`,
      };
    }
    return {
      title: 'Welcome',
      body: html`${note(state.note)}<p>This TV is not signed in.</p>
<form method="post" action="/start"><button type="submit">Sign in with a code</button></form>`,
    };
  };

  const act = async (req: IncomingMessage, res: ServerResponse, action: () => Promise<void>) => {
    await readForm(req);
    if (!sameOrigin(req, config.publicUrl)) return sendText(res, 403, 'Refused: cross-site form');
    await action();
    redirect(res, '/');
  };

  return async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', config.publicUrl).pathname;
    const route = `${req.method} ${path}`;
    if (route === 'GET /') return sendPage(res, config.issuer, { app, ...page() });
    if (route === 'GET /demo.css') return sendStylesheet(res);
    if (route === 'POST /start') return act(req, res, start);
    if (route === 'POST /refresh') return act(req, res, refresh);
    if (route === 'POST /backchannel-logout') {
      return receiveLogoutToken(req, res, logoutCheck, log, endMatching);
    }
    if (route === 'GET /healthz') return sendText(res, 200, 'ok');
    sendText(res, 404, 'Not found');
  };
}

if (import.meta.main) {
  const log = demoLog('tv');
  const config = demoConfig(process.env, { name: 'TV', clientId: 'demo-tv', port: 3002 });
  await listen(config, tvHandler(config, await discoverWithRetry(config, log), log), log);
}

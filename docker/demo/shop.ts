// "Shop": a demo web app signing people in with Latchkey (authorization code + PKCE, state, nonce),
// showing how the sign-in went and the id_token's claims, signing them out at the issuer, and
// ending its sessions when a back-channel logout token arrives. Compose runs it twice: as the
// first-party "Shop" and as the third-party "Bookshop" (APP_NAME, CLIENT_ID, PORT, PUBLIC_URL).
//   ISSUER (http://localhost:3000), APP_NAME (Shop), CLIENT_ID (demo-shop), HOST (127.0.0.1),
//   PORT (3001), PUBLIC_URL
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as client from 'openid-client';
import { type DemoConfig, demoConfig } from './demo-config.ts';
import {
  cookies,
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

// A sign-in in progress lives 10 minutes, a signed-in session 8 hours; expired ones are swept.
const PENDING_MS = 10 * 60_000;
const SIGNED_IN_MS = 8 * 3600_000;
const TOKENS = ['id_token', 'access_token', 'refresh_token'] as const;

/** What the page tells about the sign-in: the code that came back and what the token endpoint sent. */
interface SignInRecord {
  /** The start of the (spent) authorization code, enough to recognise it. */
  codeStart: string;
  tokenEndpoint: string;
  /** The tokens in the token response. */
  received: (typeof TOKENS)[number][];
  tokenType: string;
  expiresIn?: number;
  scope?: string;
  claims: client.IDToken;
}

interface ShopSession {
  csrf: string;
  expires?: number;
  pending?: { verifier: string; state: string; nonce: string };
  user?: { sub: string; sid?: string; label: string; idToken: string; signIn: SignInRecord };
  /** Set when a logout token ended the sign-in, to say so on the next page. */
  endedElsewhere?: boolean;
}

/** The shop's request handler; sessions live in memory, keyed by an HttpOnly cookie. */
export function shopHandler(config: DemoConfig, { rp, logoutCheck }: RelyingParty, log: DemoLog) {
  const sessions = new Map<string, ShopSession>();
  const app = config.name;
  // Named after the client: browsers send localhost's cookies to every port, and the shop and the
  // bookshop both run on localhost.
  const COOKIE = `${config.clientId}_session`;
  const callbackUri = new URL('/callback', config.publicUrl).toString();

  const newSession = (res: ServerResponse, session: ShopSession) => {
    const id = randomBytes(32).toString('base64url');
    const now = Date.now();
    for (const [old, { expires = 0 }] of sessions) if (expires < now) sessions.delete(old);
    session.expires = now + (session.user ? SIGNED_IN_MS : PENDING_MS);
    sessions.set(id, session);
    res.setHeader('set-cookie', `${COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax`);
    return session;
  };
  const sessionOf = (req: IncomingMessage) => {
    const id = cookies(req).get(COOKIE);
    const session = id ? sessions.get(id) : undefined;
    const live = session && (session.expires ?? 0) > Date.now() ? session : undefined;
    return { id, session: live };
  };

  /** Ends the sessions a logout token names: by sid when it has one, else every one of the sub. */
  const endMatching = (target: LogoutTarget) => {
    let ended = 0;
    for (const session of sessions.values()) {
      const user = session.user;
      if (!user) continue;
      const hit = target.sid ? target.sid === user.sid : target.sub === user.sub;
      if (hit) {
        delete session.user;
        session.endedElsewhere = true;
        ended++;
      }
    }
    return ended;
  };

  const home = (res: ServerResponse, session: ShopSession | undefined) => {
    const user = session?.user;
    const notice = session?.endedElsewhere
      ? html`<p class="notice" role="status">You were signed out from another app or device.</p>`
      : '';
    const body = user
      ? html`<p>Signed in as <strong>${user.label}</strong>.</p>
<form method="post" action="/logout"><input type="hidden" name="csrf" value="${session.csrf}">
<button type="submit">Sign out</button></form>
<p>This page reloads every 10 seconds, so a sign-out elsewhere shows here.</p>
${signInStory(user.signIn)}`
      : html`${notice}<p>Welcome to the shop. You are not signed in.</p>
<p><a class="button" href="/login">Sign in with Latchkey</a></p>`;
    sendPage(res, config.issuer, {
      app,
      title: user ? 'Signed in' : 'Welcome',
      body,
      ...(user ? { refreshSeconds: 10 } : {}),
    });
  };

  const login = async (res: ServerResponse) => {
    const pending = {
      verifier: client.randomPKCECodeVerifier(),
      state: client.randomState(),
      nonce: client.randomNonce(),
    };
    newSession(res, { csrf: randomBytes(16).toString('base64url'), pending });
    const url = client.buildAuthorizationUrl(rp, {
      redirect_uri: callbackUri,
      scope: 'openid profile email',
      code_challenge: await client.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    redirect(res, url.toString());
  };

  const callback = async (req: IncomingMessage, res: ServerResponse) => {
    const { id, session } = sessionOf(req);
    const pending = session?.pending;
    if (!id || !pending) return sendText(res, 400, 'No sign-in in progress: start again at /');
    sessions.delete(id);
    try {
      const tokens = await client.authorizationCodeGrant(
        rp,
        new URL(req.url ?? '/', config.publicUrl),
        {
          pkceCodeVerifier: pending.verifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        },
      );
      const claims = tokens.claims();
      if (!claims || !tokens.id_token) throw new Error('no id_token');
      const code = new URL(req.url ?? '/', config.publicUrl).searchParams.get('code') ?? '';
      const label = [claims.name, claims.email].filter((v) => typeof v === 'string').join(' · ');
      // A fresh session id after sign-in: one fixed before it is worth nothing.
      newSession(res, {
        csrf: randomBytes(16).toString('base64url'),
        user: {
          sub: claims.sub,
          ...(typeof claims.sid === 'string' ? { sid: claims.sid } : {}),
          label: label || claims.sub,
          idToken: tokens.id_token,
          signIn: {
            codeStart: code.slice(0, 8),
            tokenEndpoint: rp.serverMetadata().token_endpoint ?? '',
            received: TOKENS.filter((name) => typeof tokens[name] === 'string'),
            tokenType: tokens.token_type,
            ...(tokens.expires_in === undefined ? {} : { expiresIn: tokens.expires_in }),
            ...(tokens.scope === undefined ? {} : { scope: tokens.scope }),
            claims,
          },
        },
      });
      log('sign_in', { sub: claims.sub, sid: claims.sid });
      redirect(res, '/');
    } catch (error) {
      log('sign_in.failed', { error: String(error) });
      sendPage(
        res,
        config.issuer,
        {
          app,
          title: 'Sign-in failed',
          body: html`<p>Sign-in failed: ${String(error)}</p><p><a href="/">Back</a></p>`,
        },
        400,
      );
    }
  };

  /** The three steps of the sign-in, as they happened, and the claims the app now trusts. */
  const signInStory = (record: SignInRecord) => {
    const access = [
      `a ${record.tokenType} access token`,
      record.expiresIn === undefined ? '' : `valid ${record.expiresIn} s`,
      record.scope ? `scope "${record.scope}"` : '',
    ].filter(Boolean);
    return html`<h2>How this sign-in worked</h2>
<ol class="steps">
<li id="code-arrived">Latchkey sent your browser back to <code>${callbackUri}</code> with a one-time
authorization code (<code>code=${record.codeStart}…</code>), the <code>state</code> this app made up
and the issuer (<code>iss</code>).</li>
<li id="token-exchange">The app posted that code with its PKCE <code>code_verifier</code> to
<code>${record.tokenEndpoint}</code> and got back <code>${record.received.join(', ')}</code>
(${access.join(', ')}).</li>
<li id="id-token-checked">It checked the id_token: signed with a key from Latchkey's JWKS, issued
by ${config.issuer.origin}, for this app (<code>aud</code>), not expired, and with the
<code>nonce</code> of this sign-in.</li>
</ol>
<h2>id_token claims</h2>
<pre id="claims">${JSON.stringify(record.claims, null, 2)}</pre>`;
  };

  const logout = async (req: IncomingMessage, res: ServerResponse) => {
    const { id, session } = sessionOf(req);
    const form = await readForm(req);
    if (
      !id ||
      !session ||
      form.get('csrf') !== session.csrf ||
      !sameOrigin(req, config.publicUrl)
    ) {
      return sendText(res, 403, 'Refused: reload the page and try again');
    }
    sessions.delete(id);
    const clear = { 'set-cookie': `${COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0` };
    if (!session.user) return redirect(res, '/', clear);
    log('sign_out', { sub: session.user.sub });
    const url = client.buildEndSessionUrl(rp, {
      id_token_hint: session.user.idToken,
      post_logout_redirect_uri: new URL('/', config.publicUrl).toString(),
    });
    redirect(res, url.toString(), clear);
  };

  return async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', config.publicUrl).pathname;
    const route = `${req.method} ${path}`;
    if (route === 'GET /') return home(res, sessionOf(req).session);
    if (route === 'GET /demo.css') return sendStylesheet(res);
    if (route === 'GET /login') return login(res);
    if (route === 'GET /callback') return callback(req, res);
    if (route === 'POST /logout') return logout(req, res);
    if (route === 'POST /backchannel-logout') {
      return receiveLogoutToken(req, res, logoutCheck, log, endMatching);
    }
    if (route === 'GET /healthz') return sendText(res, 200, 'ok');
    sendText(res, 404, 'Not found');
  };
}

if (import.meta.main) {
  const config = demoConfig(process.env, { name: 'Shop', clientId: 'demo-shop', port: 3001 });
  const log = demoLog(config.name.toLowerCase());
  await listen(config, shopHandler(config, await discoverWithRetry(config, log), log), log);
}

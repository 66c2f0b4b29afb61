// Relying parties, the browser steps of the flows, and the flows themselves.
import type { AxiosResponse } from 'axios';
import * as client from 'openid-client';
import { DEFAULT_LIMITS } from '../src/accounts/login-throttle.ts';
import { Browser, type Followed } from '../test/support/browser.ts';
import { hasMailbox } from '../test/support/mailbox.ts';
import {
  type Authorization,
  authorizationUrl,
  confirmByMail,
  exchangeCode,
  OFFLINE,
} from '../test/support/oidc.ts';
import type { HttpClient } from './http.ts';
import type {
  Account,
  BaseFlowName,
  ClientSettings,
  FlowName,
  MachineSettings,
} from './options.ts';

export interface RelyingParty {
  settings: ClientSettings;
  config: client.Configuration;
}

export async function relyingParty(
  http: HttpClient,
  issuer: string,
  settings: ClientSettings,
): Promise<RelyingParty> {
  const execute = [client.enableNonRepudiationChecks];
  if (issuer.startsWith('http:')) execute.push(client.allowInsecureRequests);
  const config = await client.discovery(
    new URL(issuer),
    settings.id,
    undefined,
    client.ClientSecretBasic(settings.secret),
    { execute, [client.customFetch]: http.fetch },
  );
  config[client.customFetch] = http.fetch;
  return { settings, config };
}

export type Page = AxiosResponse<string>;

function brief(page: Page): string {
  const text = page.data
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return `${page.status} at ${new URL(page.config.url as string).pathname}: ${text.slice(0, 160)}`;
}

export function pageOf(result: Followed): Page {
  if (result.external) throw new Error(`expected a page, was sent to ${result.external.origin}`);
  if (result.response.status !== 200) {
    throw new Error(`expected a page, got ${brief(result.response)}`);
  }
  return result.response;
}

export function callbackOf(result: Followed): URL {
  if (result.external) return result.external;
  if (result.response.data.includes('/consent"')) {
    throw new Error('got a consent page: the client must be registered with "first_party": true');
  }
  throw new Error(`expected a redirect to the client, got ${brief(result.response)}`);
}

export interface SignedIn {
  browser: Browser;
  tokens: Awaited<ReturnType<typeof exchangeCode>>;
  sub: string;
}

/** A fresh browser signs in with a password and the client exchanges the code. */
export async function passwordSignIn(
  http: HttpClient,
  issuer: string,
  rp: RelyingParty,
  account: Account,
  params: Record<string, string> = {},
): Promise<SignedIn> {
  const browser = new Browser(new URL(issuer).origin, { http: http.axios });
  const auth = await authorizationUrl(rp.config, rp.settings.redirectUri, params);
  const login = pageOf(await browser.follow(await browser.get(auth.url)));
  const result = await browser.follow(
    await browser.submit(login.data, '/login', {
      email: account.email,
      password: account.password,
    }),
  );
  return { browser, ...(await exchange(rp, callbackOf(result), auth)) };
}

export async function exchange(rp: RelyingParty, callback: URL, auth: Authorization) {
  const tokens = await exchangeCode(rp.config, callback, auth);
  const sub = tokens.claims()?.sub;
  if (!sub) throw new Error('the token response has no ID token subject');
  return { tokens, sub };
}

export async function signUp(
  http: HttpClient,
  issuer: string,
  rp: RelyingParty,
  account: Account,
  n: number,
) {
  const browser = new Browser(new URL(issuer).origin, { http: http.axios });
  const auth = await authorizationUrl(rp.config, rp.settings.redirectUri);
  const login = pageOf(await browser.follow(await browser.get(auth.url)));
  const link = /href="(\/interaction\/[^"]+\/signup)"/.exec(login.data)?.[1];
  if (!link) throw new Error(`no sign-up link on ${brief(login)}`);
  const form = await browser.get(link);
  const answer = await browser.submit(form.data, '/signup', {
    name: `Bench Person ${n}`,
    ...account,
  });
  if (answer.status === 429) {
    throw new Error(
      `the server refused more sign-ups from this address (${DEFAULT_LIMITS.signUpsPerSource} per ${DEFAULT_LIMITS.windowSeconds / 60} minutes by default): lower --accounts or pass existing accounts with --login`,
    );
  }
  // A sign-up is complete once its confirmation link is followed: the bench's own server sends
  // its mail to a catcher the bench reads; a server elsewhere needs accounts given with --login.
  if (!hasMailbox(browser.origin)) {
    throw new Error(
      `sign-ups on ${browser.origin} wait for a confirmation mail the bench cannot read: pass --mail-api URL (a MailDev API receiving its mail), or existing accounts with --login EMAIL:PASSWORD and --accounts 0`,
    );
  }
  callbackOf(await confirmByMail(browser, account.email));
}

export type Operation = () => Promise<void>;

export interface Flow {
  name: FlowName;
  /** The server it talks to: its requests are the ones counted for it. */
  origin: string;
  /** Untimed: gives one worker what its operations start from (a session, a token chain). */
  prepare(worker: number): Promise<Operation>;
}

export interface FlowContext {
  http: HttpClient;
  issuer: string;
  first: RelyingParty;
  second: RelyingParty;
  /** The device flow's client (public, grant type device_code). */
  deviceClientId: string;
  nextAccount(): Account;
  /** The machine client of the client-credentials flows. */
  machine: MachineSettings | undefined;
}

/** One client_credentials request as a machine client would send it; the token is checked. */
function clientCredentials(http: HttpClient, issuer: string, machine: MachineSettings) {
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    resource: machine.resource,
    scope: machine.scope,
  }).toString();
  const headers = {
    'content-type': 'application/x-www-form-urlencoded',
    authorization: `Basic ${Buffer.from(`${encodeURIComponent(machine.id)}:${encodeURIComponent(machine.secret)}`).toString('base64')}`,
  };
  return async () => {
    const res = await http.axios.post(`${issuer}/token`, body, {
      headers,
      validateStatus: () => true,
    });
    const data = res.data as Record<string, unknown>;
    if (
      res.status !== 200 ||
      typeof data.access_token !== 'string' ||
      data.scope !== machine.scope
    ) {
      throw new Error(`client_credentials refused: ${res.status} ${JSON.stringify(data)}`);
    }
  };
}

/** Flow `base` against the server of `ctx` (Latchkey's, or the reference's), named `name`. */
export function makeFlow(base: BaseFlowName, ctx: FlowContext, name: FlowName = base): Flow {
  const { http, issuer, first, second } = ctx;
  const signIn = (params: Record<string, string> = {}) =>
    passwordSignIn(http, issuer, first, ctx.nextAccount(), params);
  const prepares: Record<BaseFlowName, Flow['prepare']> = {
    'password-login': async () => async () => {
      await signIn();
    },
    sso: async () => {
      const { browser, sub } = await signIn();
      return async () => {
        const auth = await authorizationUrl(second.config, second.settings.redirectUri);
        const result = await browser.follow(await browser.get(auth.url));
        const tokens = await exchange(second, callbackOf(result), auth);
        if (tokens.sub !== sub) throw new Error('single sign-on returned another subject');
      };
    },
    refresh: async () => {
      let refreshToken = (await signIn(OFFLINE)).tokens.refresh_token;
      if (!refreshToken) throw new Error('no refresh token for offline_access');
      return async () => {
        const next = await client.refreshTokenGrant(first.config, refreshToken as string);
        if (!next.refresh_token || next.refresh_token === refreshToken) {
          throw new Error('the refresh token was not rotated');
        }
        refreshToken = next.refresh_token;
      };
    },
    // A TV asks for a code, the signed-in browser types it, checks and allows, the TV gets tokens.
    device: async () => {
      const { browser } = await signIn();
      const form = (fields: Record<string, string>) => ({
        data: new URLSearchParams(fields).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      const post = async (path: string, fields: Record<string, string>) => {
        const { data, headers } = form(fields);
        const res = await http.axios.post(`${issuer}${path}`, data, {
          headers,
          validateStatus: () => true,
        });
        return res.data as Record<string, unknown>;
      };
      return async () => {
        const started = await post('/device/auth', {
          client_id: ctx.deviceClientId,
          scope: 'openid offline_access',
        });
        if (typeof started.device_code !== 'string' || typeof started.user_code !== 'string') {
          throw new Error(`device authorization refused: ${JSON.stringify(started)}`);
        }
        const entry = pageOf(await browser.follow(await browser.get('/device')));
        const confirm = await browser.submit(entry.data, '/device', {
          user_code: started.user_code,
        });
        const done = await browser.submit(confirm.data, '/device', { confirm: 'yes' });
        if (done.status !== 200 || done.data.includes('name="confirm"')) {
          throw new Error(`the device was not signed in: ${brief(done)}`);
        }
        const tokens = await post('/token', {
          grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
          device_code: started.device_code,
          client_id: ctx.deviceClientId,
        });
        if (typeof tokens.access_token !== 'string') {
          throw new Error(`the device got no tokens: ${JSON.stringify(tokens)}`);
        }
      };
    },
    'client-credentials': async () => {
      if (!ctx.machine) throw new Error('no machine client');
      return clientCredentials(http, issuer, ctx.machine);
    },
    userinfo: async () => {
      const { tokens, sub } = await signIn();
      return async () => {
        await client.fetchUserInfo(first.config, tokens.access_token, sub);
      };
    },
  };
  return { name, origin: new URL(issuer).origin, prepare: prepares[base] };
}

// What Latchkey adds around oidc-provider's device flow, inside the provider's own Koa app:
// - GET /device?user_code=… shows our code page filled in, instead of the library's auto-posting form;
// - every code looked up at POST /device is counted before it is judged (wrong-code throttle);
// - the device authorization answer carries the polling interval, and /token answers slow_down
//   to a device polling sooner than that (the library itself never does).
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { WRONG_CODE } from '../oidc/device-pages.ts';
import { ROUTES } from '../oidc/provider.ts';
import type { DevicePolling } from './device-polling.ts';
import type { CodeEntrant, UserCodeThrottle } from './user-code-throttle.ts';

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export interface DeviceFlowMiddlewareDeps {
  provider: Provider;
  throttle: UserCodeThrottle;
  polling: DevicePolling;
}

/** Who is typing a code: the session cookie's value and the client address. */
export function codeEntrant(ctx: Context, provider: Provider): CodeEntrant {
  return { session: ctx.cookies.get(provider.cookieName('session')), source: ctx.ip };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Buffer.isBuffer(value);

export function deviceFlowMiddleware(deps: DeviceFlowMiddlewareDeps): Middleware {
  const { provider, throttle, polling } = deps;
  return async (ctx, next) => {
    const { path, method } = ctx;
    if (path === ROUTES.code_verification && method === 'GET') {
      const userCode = ctx.query.user_code;
      if (userCode !== undefined) {
        // The page shows the code and waits for the person's click (RFC 10027: no auto-submit);
        // the library never sees the parameter, so it never answers with its auto-posting form.
        if (typeof userCode === 'string') ctx.state.prefillUserCode = userCode;
        ctx.querystring = '';
      }
      return next();
    }

    if (path === ROUTES.code_verification && method === 'POST') {
      const who = codeEntrant(ctx, provider);
      await throttle.count(who);
      let wrong = false;
      try {
        await next();
        wrong = (ctx.state as Record<symbol, unknown>)[WRONG_CODE] === true;
      } finally {
        if (!wrong) await throttle.notWrong(who);
      }
      return;
    }

    await next();

    if (path === ROUTES.device_authorization && ctx.status === 200 && isObject(ctx.body)) {
      ctx.body = { ...ctx.body, interval: polling.interval };
      return;
    }

    if (path === ROUTES.token && isObject(ctx.body) && ctx.body.error === 'authorization_pending') {
      const oidc = (ctx as unknown as KoaContextWithOIDC).oidc;
      const deviceCode = oidc?.params?.device_code;
      if (oidc?.params?.grant_type !== DEVICE_CODE_GRANT || typeof deviceCode !== 'string') return;
      const verdict = await polling.pending(deviceCode);
      if (verdict.tooSoon) {
        ctx.status = 400;
        ctx.body = {
          error: 'slow_down',
          error_description: `polling too quickly; wait at least ${verdict.interval} seconds between requests`,
        };
      }
    }
  };
}

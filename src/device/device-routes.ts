// Our routes in front of the provider's device pages: sign in first, and the QR code a device
// app can show for verification_uri_complete.
import Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import type Provider from 'oidc-provider';
import QRCode from 'qrcode';
import { notFound } from '../http/http-errors.ts';
import { ROUTES } from '../oidc/provider.ts';
import { deviceReturnPath } from '../self-service/sign-in-state.ts';
import { codeEntrant } from './device-flow-middleware.ts';
import type { UserCodeThrottle } from './user-code-throttle.ts';

export interface DeviceRoutesDeps {
  provider: Provider;
  issuer: string;
  throttle: UserCodeThrottle;
  /** Refuses cross-site posts to the code and confirm forms (see http/csrf.ts). */
  sameOrigin: Middleware;
}

/** A user code as people type it (any case, hyphen or not) in the form the store keys it by. */
export const normalizeUserCode = (input: string) => input.toUpperCase().replace(/\W/g, '');

/** BCDFGHJK → BCDF-GHJK, as the device shows it (the mask in oidc/provider.ts). */
export const displayUserCode = (normalized: string) =>
  `${normalized.slice(0, 4)}-${normalized.slice(4)}`;

export function deviceRoutes(deps: DeviceRoutesDeps): Router {
  const { provider, issuer, throttle } = deps;
  const router = new Router();

  /**
   * The code page needs a signed-in person: without one, sign in first (any method) through the
   * account page's sign-in, which brings them back here with the code still in the address.
   */
  async function signedInFirst(ctx: Context, next: Next) {
    const session = await provider.Session.get(ctx);
    if (session.accountId) return next();
    const userCode = typeof ctx.query.user_code === 'string' ? ctx.query.user_code : undefined;
    const back = deviceReturnPath(userCode);
    ctx.status = 303;
    ctx.redirect(`/account/signin?return=${encodeURIComponent(back)}`);
  }
  router.get(ROUTES.code_verification, signedInFirst);
  router.post(ROUTES.code_verification, deps.sameOrigin, signedInFirst);

  // Anyone can ask, so each lookup counts against the address like a typed code.
  router.get(`${ROUTES.code_verification}/qr/:file`, async (ctx) => {
    const match = /^([A-Za-z0-9-]{1,32})\.svg$/.exec(String(ctx.params.file));
    if (!match?.[1]) throw notFound();
    const normalized = normalizeUserCode(match[1]);
    const who = { source: codeEntrant(ctx, provider).source };
    await throttle.count(who);
    const code = await provider.DeviceCode.findByUserCode(normalized);
    const pending = code && !code.isExpired && !code.accountId && !code.error && !code.inFlight;
    if (!pending) throw notFound();
    await throttle.notWrong(who);
    const complete = new URL(`${issuer}${ROUTES.code_verification}`);
    complete.searchParams.set('user_code', displayUserCode(normalized));
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'image/svg+xml';
    ctx.body = await QRCode.toString(complete.toString(), {
      type: 'svg',
      errorCorrectionLevel: 'M',
      margin: 2,
    });
  });

  return router;
}

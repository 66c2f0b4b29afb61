// The person's own account page: who they are (name and picture, editable), how they sign in
// (password, linking and removing upstreams), where they are signed in (device-routes.ts).
// It signs people in through Latchkey itself, as a built-in first-party client. Sensitive changes
// need a recent sign-in; an older one is sent through the sign-in page again (prompt=login).
import { randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { AccountService } from '../accounts/account-service.ts';
import type { EmailOwnership } from '../accounts/email-ownership.ts';
import type { Passkeys } from '../accounts/passkeys.ts';
import type { SecondFactors } from '../accounts/second-factors.ts';
import type { UpstreamAccounts } from '../accounts/upstream-accounts.ts';
import type { AuditTrail } from '../audit/audit-trail.ts';
import type { CsrfTokens } from '../http/csrf.ts';
import { readForm } from '../http/form.ts';
import { type Expected, FormRejected, onForm, type Rejection } from '../http/form-rejected.ts';
import { forbidden } from '../http/http-errors.ts';
import type { LinkCookies } from '../http/link-cookies.ts';
import { type AccountMessages, Pages } from '../http/pages.ts';
import type { Views } from '../http/views.ts';
import { currentLocale } from '../i18n/current-locale.ts';
import { t } from '../i18n/t.ts';
import type { ScopeCatalogue } from '../interactions/scope-descriptions.ts';
import type { AccountApps } from '../oidc/account-apps.ts';
import type { AccountDevices } from '../oidc/account-devices.ts';
import { ACCOUNT_CLIENT_ID } from '../oidc/clients.ts';
import type { UpstreamAttempts } from '../upstreams/attempts.ts';
import type { Upstreams } from '../upstreams/registry.ts';
import type { AccountPageKit } from './account-page-kit.ts';
import { ACTIVITY_SHOWN, activityRows } from './activity.ts';
import { appRoutes, appRows } from './app-routes.ts';
import { deviceRoutes, deviceRows } from './device-routes.ts';
import { passkeyRoutes, passkeyRows } from './passkey-routes.ts';
import { profileRoutes } from './profile-routes.ts';
import {
  decodeState,
  encodeState,
  isReturnPath,
  isSection,
  SECTIONS,
  type Section,
  type SignInState,
  sameSecret,
} from './sign-in-state.ts';
import { twoStepRoutes, twoStepView } from './two-step-routes.ts';
import { upstreamLinkRoutes } from './upstream-link-routes.ts';

export interface AccountPageDeps {
  provider: Provider;
  accounts: AccountService;
  upstreamAccounts: UpstreamAccounts;
  upstreams: Upstreams;
  /** Single-use upstream states, shared with the sign-in pages' upstream routes. */
  attempts: UpstreamAttempts;
  views: Views;
  csrf: CsrfTokens;
  issuer: string;
  https: boolean;
  /** How old a sign-in may be for a password change or an unlink (RECENT_SIGN_IN_SECONDS). */
  recentSignInSeconds: number;
  /** After a password change: ends every other session (not `currentSessionId`, the cookie's). */
  endOtherSessions?: (accountId: string, currentSessionId: string) => Promise<void>;
  /** The account's browsers and devices, listed on the page and signed out from it. */
  devices: AccountDevices;
  /** The third-party apps the account allowed, listed on the page and removed from it. */
  apps: AccountApps;
  /** How the consent page words scopes: the list of allowed apps says the same. */
  resourceServers: ScopeCatalogue;
  /** Refuses cross-site posts to these pages (see http/csrf.ts). */
  sameOrigin: Middleware;
  /** Confirming the account's address and changing it by a link sent to the new one. */
  ownership: EmailOwnership;
  /** This browser's secret and sign-in tickets (a new password signs in through this page). */
  cookies: LinkCookies;
  /** Two-step sign-in: its section of the page (two-step-routes.ts). */
  factors?: SecondFactors;
  /** The account's passkeys: listed, added, renamed and removed on the page. */
  passkeys: Passkeys;
  /** Records what people do here, and shows them their latest security events. */
  audit: AuditTrail;
}

const STATE_COOKIE = 'latchkey.account-state';
const NOTICE_COOKIE = 'latchkey.account-notice';

/** The password form's expected refusals, shown beside the new password. */
const PASSWORD_REFUSALS: Expected = {
  invalid_credentials: { key: 'account.wrong_password' },
  invalid_input: {},
  too_many_attempts: {},
};

const EMAIL_REFUSALS: Expected = { invalid_input: {}, too_many_attempts: {} };

const UNLINK_REFUSALS: Expected = {
  last_sign_in_method: { key: 'account.only_method' },
  account_not_found: { key: 'account.method_not_linked' },
};

/** Leaves a one-time notice for the next view of the account page (e.g. `email-confirmed`). */
export function leaveAccountNotice(ctx: Context, value: string, https: boolean): void {
  ctx.cookies.set(NOTICE_COOKIE, value, {
    httpOnly: true,
    sameSite: 'lax',
    secure: https,
    path: '/account',
    signed: true,
    overwrite: true,
    maxAge: 60 * 1000,
  });
}

export function accountRoutes(deps: AccountPageDeps): Router {
  const { provider, accounts, upstreamAccounts, upstreams, views, csrf, issuer } = deps;
  const pages = new Pages(views);
  const router = new Router();
  router.use(deps.sameOrigin);
  const cookie = {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: deps.https,
    path: '/account',
    signed: true,
    overwrite: true,
  };

  async function signedIn(ctx: Context) {
    const session = await provider.Session.get(ctx);
    const accountId = session.accountId;
    const profile = accountId ? await accounts.findProfile(accountId) : undefined;
    return profile ? { session, profile } : undefined;
  }

  const logoutUrl = () => {
    const url = new URL(`${issuer}/logout`);
    url.searchParams.set('client_id', ACCOUNT_CLIENT_ID);
    url.searchParams.set('post_logout_redirect_uri', `${issuer}/account/signed-out`);
    return url.toString();
  };

  async function page(ctx: Context, status: number, extra: AccountMessages = {}) {
    const current = await signedIn(ctx);
    if (!current) return pages.account(ctx, status, { signedIn: false, ...extra });
    const { session, profile } = current;
    const identities = await upstreamAccounts.identities(profile.id);
    const hasPassword = await upstreamAccounts.hasPassword(profile.id);
    const keys = await deps.passkeys.list(profile.id);
    // Every way to sign in may go except the last one (password, upstreams and passkeys alike).
    const removable = (hasPassword ? 1 : 0) + identities.length + keys.length > 1;
    const linked = new Set(identities.map((i) => i.upstream));
    const pending = await deps.ownership.pendingAddress(profile.id, profile.email);
    const formatDate = new Intl.DateTimeFormat(currentLocale(), {
      dateStyle: 'medium',
      timeStyle: 'short',
    });
    pages.account(ctx, status, {
      signedIn: true,
      profile,
      hasPassword,
      csrf: csrf.issue(`account:${session.jti}`),
      identities: identities.map((i) => ({
        id: i.id,
        upstreamName: upstreams.get(i.upstream)?.name ?? i.upstream,
        // Which account at the upstream: its email, else its handle (X's @username).
        detail: i.email ?? (i.username ? `@${i.username}` : null),
        removable,
      })),
      linkable: [...upstreams.values()]
        .filter((u) => !linked.has(u.id))
        .map((u) => ({ id: u.id, label: t('account.link.button', { upstream: u.name }) })),
      passkeys: passkeyRows(keys, (hasPassword ? 1 : 0) + identities.length),
      logoutUrl: logoutUrl(),
      emailPending: pending && {
        email: pending.email,
        until: formatDate.format(pending.expiresAt),
      },
      devices: deviceRows(
        await deps.devices.list(profile.id, { sessionId: session.jti }),
        upstreams,
      ),
      apps: appRows(await deps.apps.list(profile.id), deps.resourceServers),
      twoStep: deps.factors && (await twoStepView(deps.factors, profile)),
      activity: await activityRows(await deps.audit.recent(profile.id, ACTIVITY_SHOWN), {
        upstreams,
        clientName: async (id) => {
          const client = await provider.Client.find(id);
          return client?.clientName ?? id;
        },
      }),
      ...extra,
    });
  }

  router.get('/', (ctx) => {
    ctx.status = 303;
    ctx.redirect('/account');
  });

  router.get('/account', async (ctx) => {
    // A one-time message left by the sign-in callback (the page itself is never replayed).
    const flash = ctx.cookies.get(NOTICE_COOKIE, { signed: true });
    if (flash !== undefined) ctx.cookies.set(NOTICE_COOKIE, null, cookie);
    const current = flash === undefined ? undefined : await signedIn(ctx);
    let notice: string | undefined;
    if (flash === 'switched' && current) {
      const who = current.profile.email ?? current.profile.name ?? t('account.another_account');
      notice = t('account.switched', { who });
    } else if (isSection(flash) && current) {
      notice = t(SECTIONS[flash]);
    } else if (flash === 'email-confirmed' && current) {
      notice = t('account.email.confirmed', { email: current.profile.email ?? '' });
    } else if (flash?.startsWith('linked:') && current) {
      const upstream = upstreams.get(flash.slice('linked:'.length));
      if (upstream) notice = t('account.link.linked', { upstream: upstream.name });
    }
    await page(ctx, 200, notice ? { notice } : {});
  });

  // Where signing out from this page ends: it says so, unless the person chose to stay signed in.
  router.get('/account/signed-out', async (ctx) => {
    if (await signedIn(ctx)) {
      ctx.status = 303;
      ctx.redirect('/account');
      return;
    }
    await page(ctx, 200, { notice: t('account.signed_out') });
  });

  /**
   * Signs in through the authorization endpoint. With `reauth=1` and a session, the sign-in page
   * is shown again (prompt=login) even though a session exists, pre-filled with the account's
   * email; the section says where to come back to.
   */
  router.get('/account/signin', async (ctx) => {
    const state = randomBytes(32).toString('base64url');
    const url = new URL(`${issuer}/authorize`);
    url.searchParams.set('client_id', ACCOUNT_CLIENT_ID);
    url.searchParams.set('response_type', 'none');
    url.searchParams.set('scope', 'openid');
    url.searchParams.set('redirect_uri', `${issuer}/account/callback`);
    url.searchParams.set('state', state);
    // A device sign-in sends people here first and gets them back (only /device, see isReturnPath).
    const back = isReturnPath(ctx.query.return) ? { returnTo: ctx.query.return } : {};
    let remembered: SignInState = { state, ...back };
    const current = ctx.query.reauth === '1' ? await signedIn(ctx) : undefined;
    // A ticket from a new password waits: the sign-in page redeems it, whoever is signed in now.
    if (deps.cookies.hasTicket(ctx)) url.searchParams.set('prompt', 'login');
    if (current) {
      const section = isSection(ctx.query.section) ? ctx.query.section : 'password';
      remembered = { state, reauth: { section, accountId: current.profile.id }, ...back };
      url.searchParams.set('prompt', 'login');
      if (current.profile.email) url.searchParams.set('login_hint', current.profile.email);
    }
    ctx.cookies.set(STATE_COOKIE, encodeState(remembered), { ...cookie, maxAge: 15 * 60 * 1000 });
    ctx.status = 303;
    ctx.redirect(url.toString());
  });

  router.get('/account/callback', async (ctx) => {
    const expected = decodeState(ctx.cookies.get(STATE_COOKIE, { signed: true }));
    ctx.cookies.set(STATE_COOKIE, null, cookie);
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    if (!expected || !sameSecret(expected.state, state)) {
      return page(ctx, 400, { error: t('account.not_verified') });
    }
    if (typeof ctx.query.error === 'string') {
      return page(ctx, 200, { notice: t('account.cancelled') });
    }
    let target = expected.returnTo ?? '/account';
    if (expected.reauth) {
      // Signing in as someone else at the prompt replaces the session's account (the provider
      // signs the first one out): say so, and point at nothing the first account was about to do.
      const current = await signedIn(ctx);
      const same = current?.profile.id === expected.reauth.accountId;
      const flash = same ? expected.reauth.section : 'switched';
      ctx.cookies.set(NOTICE_COOKIE, flash, { ...cookie, maxAge: 60 * 1000 });
      if (same) target = `/account#${expected.reauth.section}`;
    }
    ctx.status = 303;
    ctx.redirect(target);
  });

  /** The signed-in person and their form, after the CSRF token was checked against the session. */
  async function signedInForm(ctx: Context) {
    const current = await signedIn(ctx);
    const body = await readForm(ctx);
    if (!current || !csrf.verify(`account:${current.session.jti}`, body.text('csrf'))) {
      throw forbidden('request.account_form_expired');
    }
    return { current, body };
  }

  /**
   * True when the session signed in within RECENT_SIGN_IN_SECONDS. Otherwise nothing is done and
   * the page asks the person to confirm it is them, then come back to `section`.
   */
  async function recentOrReprompt(
    ctx: Context,
    current: { session: { past(age: number): boolean } },
    section: Section,
  ): Promise<boolean> {
    if (!current.session.past(deps.recentSignInSeconds)) return true;
    ctx.state.log.info({ event: 'reauth.required', section }, 'recent sign-in required');
    await page(ctx, 403, { reauth: section });
    return false;
  }

  router.post('/account/password', async (ctx) => {
    const { current, body } = await signedInForm(ctx);
    if (!(await recentOrReprompt(ctx, current, 'password'))) return;
    const next = body.text('new_password');
    const again = (r: Rejection) => page(ctx, r.status, { passwordError: r.message });
    if (next.length > 1024) {
      throw new FormRejected(again, { status: 400, key: 'account.password_too_long' });
    }
    await onForm(again, PASSWORD_REFUSALS, () =>
      accounts.changePassword({
        accountId: current.profile.id,
        current: body.text('current_password').slice(0, 1024),
        next,
        source: ctx.ip,
      }),
    );
    ctx.state.log.info(
      { event: 'password.changed', accountId: current.profile.id },
      'password changed',
    );
    // This browser stays signed in; every other session of the account ends.
    await deps.endOtherSessions?.(current.profile.id, current.session.jti);
    await page(ctx, 200, { notice: t('account.password_saved') });
  });

  router.post('/account/email/confirm', async (ctx) => {
    const { current } = await signedInForm(ctx);
    const again = (r: Rejection) => page(ctx, r.status, { error: r.message });
    await onForm(again, EMAIL_REFUSALS, () =>
      deps.ownership.confirmCurrentAddress(current.profile.id, deps.cookies.browserSecret(ctx)),
    );
    await page(ctx, 200, {
      notice: t('account.email.confirmation_sent', { email: current.profile.email ?? '' }),
    });
  });

  router.post('/account/email', async (ctx) => {
    const { current, body } = await signedInForm(ctx);
    if (!(await recentOrReprompt(ctx, current, 'email'))) return;
    const typed = body.text('email').slice(0, 1024).trim();
    const again = (r: Rejection) =>
      page(ctx, r.status, { emailError: r.fields?.email ?? r.message, emailValue: typed });
    const email = await onForm(again, EMAIL_REFUSALS, () =>
      deps.ownership.requestEmailChange(current.profile.id, typed, deps.cookies.browserSecret(ctx)),
    );
    ctx.state.log.info(
      { event: 'email.change_requested', accountId: current.profile.id },
      'email change requested',
    );
    await page(ctx, 200, { notice: t('account.email.change_sent', { email }) });
  });

  router.post('/account/identities/:id/remove', async (ctx) => {
    const { current } = await signedInForm(ctx);
    if (!(await recentOrReprompt(ctx, current, 'methods'))) return;
    const again = (r: Rejection) => page(ctx, r.status, { error: r.message });
    await onForm(again, UNLINK_REFUSALS, () =>
      upstreamAccounts.unlink(current.profile.id, String(ctx.params.id)),
    );
    ctx.state.log.info(
      { event: 'identity.unlinked', accountId: current.profile.id },
      'identity unlinked',
    );
    ctx.status = 303;
    ctx.redirect('/account');
  });

  const kit: AccountPageKit = {
    audit: deps.audit.writer,
    signedIn,
    signedInForm,
    recentOrReprompt,
    page,
    flash: (ctx, value) => ctx.cookies.set(NOTICE_COOKIE, value, { ...cookie, maxAge: 60 * 1000 }),
  };
  profileRoutes(router, kit, accounts);
  passkeyRoutes(router, kit, deps.passkeys);
  deviceRoutes(router, kit, deps.devices);
  appRoutes(router, kit, deps.apps);
  if (deps.factors) twoStepRoutes(router, kit, deps.factors);
  upstreamLinkRoutes(router, kit, {
    upstreamAccounts,
    attempts: deps.attempts,
    upstreams,
    issuer,
  });

  return router;
}

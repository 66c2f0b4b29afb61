// The person's own account page: who they are, how they sign in, and removing a linked provider.
// It signs people in through Latchkey itself, as a built-in first-party client.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { AccountService } from '../accounts/account-service.ts';
import {
  AccountNotFound,
  InvalidCredentials,
  InvalidInput,
  LastSignInMethod,
  TooManyAttempts,
} from '../accounts/errors.ts';
import type { FederatedAccounts } from '../accounts/federated-accounts.ts';
import type { Upstreams } from '../federation/registry.ts';
import type { CsrfTokens } from '../http/csrf.ts';
import { readForm } from '../http/form.ts';
import { forbidden } from '../http/http-errors.ts';
import type { Views } from '../http/views.ts';
import type { ClientEntry } from '../oidc/clients.ts';

export const ACCOUNT_CLIENT_ID = 'latchkey-account';

/** The account page's own registration: response_type "none" only establishes the session. */
export function accountClient(issuer: string): ClientEntry {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    client_name: 'Latchkey account',
    token_endpoint_auth_method: 'none',
    response_types: ['none'],
    grant_types: [],
    redirect_uris: [`${issuer}/account/callback`],
    post_logout_redirect_uris: [`${issuer}/account`],
    first_party: true,
  };
}

export interface AccountPageDeps {
  provider: Provider;
  accounts: AccountService;
  federated: FederatedAccounts;
  upstreams: Upstreams;
  views: Views;
  csrf: CsrfTokens;
  issuer: string;
  https: boolean;
}

const STATE_COOKIE = 'latchkey.account-state';

export function accountRoutes(deps: AccountPageDeps): Router {
  const { provider, accounts, federated, upstreams, views, csrf, issuer } = deps;
  const router = new Router();
  const cookie = {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: deps.https,
    path: '/account',
    signed: true,
    overwrite: true,
  };

  function render(ctx: Context, status: number, locals: Record<string, unknown>) {
    views.respond(ctx, 'account', status, { title: 'Your account', ...locals });
  }

  async function signedIn(ctx: Context) {
    const session = await provider.Session.get(ctx);
    const accountId = session.accountId;
    const profile = accountId ? await accounts.findProfile(accountId) : undefined;
    return profile ? { session, profile } : undefined;
  }

  const logoutUrl = () => {
    const url = new URL(`${issuer}/logout`);
    url.searchParams.set('client_id', ACCOUNT_CLIENT_ID);
    url.searchParams.set('post_logout_redirect_uri', `${issuer}/account`);
    return url.toString();
  };

  async function page(
    ctx: Context,
    status: number,
    extra: { error?: string; notice?: string; passwordError?: string } = {},
  ) {
    const current = await signedIn(ctx);
    if (!current) {
      return render(ctx, status, { signedIn: false, ...extra });
    }
    const { session, profile } = current;
    const identities = await federated.identities(profile.id);
    const hasPassword = await federated.hasPassword(profile.id);
    const removable = hasPassword || identities.length > 1;
    render(ctx, status, {
      signedIn: true,
      profile,
      hasPassword,
      csrf: csrf.issue(`account:${session.jti}`),
      identities: identities.map((i) => ({
        id: i.id,
        provider: upstreams.get(i.provider)?.name ?? i.provider,
        email: i.email,
        removable,
      })),
      logoutUrl: logoutUrl(),
      ...extra,
    });
  }

  router.get('/', (ctx) => {
    ctx.status = 303;
    ctx.redirect('/account');
  });

  router.get('/account', (ctx) => page(ctx, 200));

  router.get('/account/signin', (ctx) => {
    const state = randomBytes(32).toString('base64url');
    ctx.cookies.set(STATE_COOKIE, state, { ...cookie, maxAge: 15 * 60 * 1000 });
    const url = new URL(`${issuer}/authorize`);
    url.searchParams.set('client_id', ACCOUNT_CLIENT_ID);
    url.searchParams.set('response_type', 'none');
    url.searchParams.set('scope', 'openid');
    url.searchParams.set('redirect_uri', `${issuer}/account/callback`);
    url.searchParams.set('state', state);
    ctx.status = 303;
    ctx.redirect(url.toString());
  });

  router.get('/account/callback', async (ctx) => {
    const expected = ctx.cookies.get(STATE_COOKIE, { signed: true }) ?? '';
    ctx.cookies.set(STATE_COOKIE, null, cookie);
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const matches =
      expected !== '' &&
      expected.length === state.length &&
      timingSafeEqual(Buffer.from(expected), Buffer.from(state));
    if (!matches) {
      return page(ctx, 400, { error: 'That sign-in could not be verified. Please sign in again.' });
    }
    if (typeof ctx.query.error === 'string') {
      return page(ctx, 200, { notice: 'Sign-in was cancelled.' });
    }
    ctx.status = 303;
    ctx.redirect('/account');
  });

  /** The signed-in person and their form, after the CSRF token was checked against the session. */
  async function signedInForm(ctx: Context) {
    const current = await signedIn(ctx);
    const body = await readForm(ctx);
    if (!current || !csrf.verify(`account:${current.session.jti}`, body.text('csrf'))) {
      throw forbidden(
        'This form has expired or was not sent from this site. Reload the page and try again.',
      );
    }
    return { current, body };
  }

  router.post('/account/password', async (ctx) => {
    const { current, body } = await signedInForm(ctx);
    const next = body.text('new_password');
    if (next.length > 1024) return page(ctx, 400, { passwordError: 'That password is too long.' });
    try {
      await accounts.changePassword({
        accountId: current.profile.id,
        current: body.text('current_password').slice(0, 1024),
        next,
        source: ctx.ip,
      });
    } catch (error) {
      if (error instanceof InvalidCredentials) {
        return page(ctx, 401, { passwordError: 'Your current password is incorrect.' });
      }
      if (error instanceof InvalidInput) {
        return page(ctx, 400, { passwordError: Object.values(error.fields).join(' ') });
      }
      if (error instanceof TooManyAttempts) {
        ctx.set('Retry-After', String(error.retryAfterSeconds));
        return page(ctx, 429, { passwordError: 'Too many attempts. Try again later.' });
      }
      throw error;
    }
    ctx.state.log.info(
      { event: 'password.changed', accountId: current.profile.id },
      'password changed',
    );
    await page(ctx, 200, { notice: 'Your password was saved.' });
  });

  router.post('/account/identities/:id/remove', async (ctx) => {
    const { current } = await signedInForm(ctx);
    try {
      await federated.unlink(current.profile.id, String(ctx.params.id));
      ctx.state.log.info(
        { event: 'identity.unlinked', accountId: current.profile.id },
        'identity unlinked',
      );
    } catch (error) {
      if (error instanceof LastSignInMethod) {
        return page(ctx, 409, {
          error: 'This is your only way to sign in, so it cannot be removed.',
        });
      }
      if (error instanceof AccountNotFound) {
        return page(ctx, 404, { error: 'That sign-in method is not linked to your account.' });
      }
      throw error;
    }
    ctx.status = 303;
    ctx.redirect('/account');
  });

  return router;
}

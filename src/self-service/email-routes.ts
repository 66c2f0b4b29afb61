// The pages links sent by email lead to, and the forms that send them: confirming an address,
// sending a confirmation again, "Forgot your password?" and choosing a new one. None needs a
// signed-in session; a new password (or a sign-up confirmed in the browser that made it) signs the
// person in here, through a single-use ticket the next sign-in page redeems.
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { Profile } from '../accounts/account.ts';
import type { EmailOwnership } from '../accounts/email-ownership.ts';
import { isTokenShaped } from '../accounts/email-tokens.ts';
import { EmailTaken, LinkInvalid } from '../accounts/errors.ts';
import type { CsrfTokens } from '../http/csrf.ts';
import { readForm } from '../http/form.ts';
import { type Expected, FormRejected, onForm, type Rejection } from '../http/form-rejected.ts';
import { forbidden } from '../http/http-errors.ts';
import { isInteractionId, type LinkCookies } from '../http/link-cookies.ts';
import { Pages } from '../http/pages.ts';
import type { Views } from '../http/views.ts';
import type { SignInTickets } from '../interactions/sign-in-tickets.ts';

export interface EmailRouteDeps {
  provider: Provider;
  ownership: EmailOwnership;
  tickets: SignInTickets;
  cookies: LinkCookies;
  views: Views;
  csrf: CsrfTokens;
  /** Ends every session and refresh grant of the account; apps are told (back-channel logout). */
  signOutEverywhere: (accountId: string) => Promise<void>;
  /** Leaves a one-time notice for the account page. */
  accountNotice: (ctx: Context, notice: string) => void;
  sameOrigin: Middleware;
  /** The amr of a passkey-only sign-up confirmed in its browser (see accounts/passkeys.ts). */
  signUpPasskeyAmr?: (accountId: string) => Promise<string[]>;
}

const MAX_FIELD = 1024;
const LINK_REFUSALS: Expected = { invalid_input: {}, too_many_attempts: {} };
const RESET_REFUSALS: Expected = { invalid_input: {}, hashing_busy: {} };

const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, MAX_FIELD) : '');

export function emailRoutes(deps: EmailRouteDeps): Router {
  const { provider, ownership, tickets, cookies, csrf } = deps;
  const pages = new Pages(deps.views);
  const router = new Router();
  router.use(deps.sameOrigin);

  /** A form without an interaction: its token is bound to this browser's secret. */
  async function checkedForm(ctx: Context) {
    const body = await readForm(ctx);
    const secret = cookies.existingSecret(ctx);
    if (!secret || !csrf.verify(`links:${secret}`, body.text('csrf'))) {
      throw forbidden('request.form_expired');
    }
    return { body, secret };
  }

  const formToken = (ctx: Context) => csrf.issue(`links:${cookies.browserSecret(ctx)}`);

  /** Signs the person in on this browser, back into the request they came from when it still waits. */
  async function signInHere(
    ctx: Context,
    profile: Profile,
    via: string,
    amr: string[] = ['pwd'],
  ): Promise<void> {
    const ticket = await tickets.issue({ accountId: profile.id, amr, via });
    cookies.setTicket(ctx, ticket);
    const uid = cookies.interaction(ctx);
    cookies.forgetInteraction(ctx);
    const waiting = uid ? await provider.Interaction.find(uid) : undefined;
    ctx.status = 303;
    ctx.redirect(waiting ? `/interaction/${uid}` : '/account/signin');
  }

  router.post('/email/resend', async (ctx) => {
    const { body, secret } = await checkedForm(ctx);
    const email = text(body.text('email')).trim();
    const again = (r: Rejection) =>
      pages.checkEmail(ctx, r.status, {
        kind: 'sign-up',
        email,
        csrf: formToken(ctx),
        error: r.fields?.email ?? r.message,
      });
    await onForm(again, LINK_REFUSALS, () =>
      ownership.resendConfirmation(email, { source: ctx.ip, browser: secret }),
    );
    const uid = cookies.interaction(ctx);
    pages.checkEmail(ctx, 200, {
      kind: 'resent',
      email,
      csrf: formToken(ctx),
      backUrl: uid ? `/interaction/${uid}` : undefined,
    });
  });

  router.get('/email/confirm', async (ctx) => {
    const token = text(ctx.query.token);
    const link = isTokenShaped(token) ? await ownership.checkConfirmLink(token) : undefined;
    if (!link) return pages.emailConfirm(ctx, 400, { state: 'invalid' });
    // A button, not the link itself, confirms: mail scanners that open links change nothing.
    pages.emailConfirm(ctx, 200, { state: 'ask', email: link.email, token });
  });

  router.post('/email/confirm', async (ctx) => {
    const body = await readForm(ctx);
    let outcome: Awaited<ReturnType<EmailOwnership['confirmAddress']>>;
    try {
      outcome = await ownership.confirmAddress(
        text(body.text('token')),
        cookies.existingSecret(ctx),
      );
    } catch (error) {
      if (error instanceof LinkInvalid) return pages.emailConfirm(ctx, 400, { state: 'invalid' });
      if (error instanceof EmailTaken) {
        return pages.emailConfirm(ctx, 409, { state: 'taken' });
      }
      throw error;
    }
    const { profile, sameBrowser } = outcome;
    ctx.state.log.info({ event: 'email.confirmed', accountId: profile.id }, 'address confirmed');
    const session = await provider.Session.get(ctx);
    if (session.accountId === profile.id) {
      deps.accountNotice(ctx, 'email-confirmed');
      ctx.status = 303;
      ctx.redirect('/account');
      return;
    }
    // Only the browser that signed up, where the password was just typed, is signed in by it.
    if (sameBrowser && !session.accountId) {
      if (!outcome.passwordless || !deps.signUpPasskeyAmr) {
        return signInHere(ctx, profile, 'sign-up');
      }
      // A passkey-only sign-up: the passkey made here, not a password, is what was proved.
      return signInHere(ctx, profile, 'passkey', await deps.signUpPasskeyAmr(profile.id));
    }
    pages.emailConfirm(ctx, 200, { state: 'done', email: profile.email ?? '' });
  });

  router.get('/password/forgot', async (ctx) => {
    const interaction = isInteractionId(ctx.query.interaction) ? ctx.query.interaction : undefined;
    pages.passwordForgot(ctx, 200, {
      csrf: formToken(ctx),
      email: text(ctx.query.email).slice(0, 254),
      interaction,
    });
  });

  router.post('/password/forgot', async (ctx) => {
    const { body, secret } = await checkedForm(ctx);
    const email = text(body.text('email')).trim();
    const interaction = body.text('interaction');
    const back = isInteractionId(interaction) ? interaction : undefined;
    const again = (r: Rejection) =>
      pages.passwordForgot(ctx, r.status, {
        csrf: formToken(ctx),
        email,
        interaction: back,
        ...(r.fields?.email ? { fieldError: r.fields.email } : { error: r.message }),
      });
    if (email === '') throw new FormRejected(again, { status: 400, key: 'field.email.missing' });
    await onForm(again, LINK_REFUSALS, () =>
      ownership.requestPasswordReset(email, { source: ctx.ip, browser: secret }),
    );
    ctx.state.log.info({ event: 'password_reset.requested' }, 'password reset requested');
    if (back) cookies.rememberInteraction(ctx, back);
    pages.checkEmail(ctx, 200, {
      kind: 'reset',
      email,
      backUrl: back ? `/interaction/${back}` : undefined,
    });
  });

  router.get('/password/reset', async (ctx) => {
    const token = text(ctx.query.token);
    try {
      const { email } = await ownership.checkResetLink(token);
      pages.passwordReset(ctx, 200, { state: 'form', email, token });
    } catch (error) {
      if (error instanceof LinkInvalid) return pages.passwordReset(ctx, 400, { state: 'invalid' });
      throw error;
    }
  });

  router.post('/password/reset', async (ctx) => {
    const body = await readForm(ctx);
    const token = text(body.text('token'));
    const password = body.text('password');
    let email = '';
    const again = (r: Rejection) =>
      pages.passwordReset(ctx, r.status, {
        state: 'form',
        email,
        token,
        error: r.fields?.password ?? r.message,
      });
    let outcome: Awaited<ReturnType<EmailOwnership['resetPassword']>>;
    try {
      ({ email } = await ownership.checkResetLink(token));
      if (password.length > MAX_FIELD) {
        throw new FormRejected(again, { status: 400, key: 'account.password_too_long' });
      }
      outcome = await onForm(again, RESET_REFUSALS, () =>
        ownership.resetPassword(token, password, cookies.existingSecret(ctx)),
      );
    } catch (error) {
      if (error instanceof LinkInvalid) return pages.passwordReset(ctx, 400, { state: 'invalid' });
      throw error;
    }
    const { profile } = outcome;
    ctx.state.log.info({ event: 'password.reset', accountId: profile.id }, 'password reset');
    await deps.signOutEverywhere(profile.id);
    await signInHere(ctx, profile, 'password');
  });

  return router;
}

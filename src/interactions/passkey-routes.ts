// Passkeys on the sign-in and sign-up pages: the options a ceremony needs (as JSON, for the
// page's script), signing in with the passkey the browser picked (the button or the email
// field's autofill), and a passkey-only sign-up. Each challenge is bound to the interaction.
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { Passkeys } from '../accounts/passkeys.ts';
import type { CsrfTokens } from '../http/csrf.ts';
import type { Form } from '../http/form.ts';
import { type Expected, onForm, type Rejection } from '../http/form-rejected.ts';
import { notFound } from '../http/http-errors.ts';
import type { LinkCookies } from '../http/link-cookies.ts';
import type { InteractionKit } from './interaction-kit.ts';

export interface PasskeyInteractionDeps {
  kit: InteractionKit;
  passkeys: Passkeys;
  sameOrigin: Middleware;
  /** SIGN_UP_ENABLED: false answers the sign-up steps with 404 (see routes.ts). */
  signUpEnabled?: boolean;
  csrf: CsrfTokens;
  cookies: LinkCookies;
}

/** What the sign-in page shows for a passkey it could not accept. */
const SIGN_IN_REFUSALS: Expected = {
  passkey_refused: { key: 'passkey.refused' },
  passkey_challenge_invalid: { key: 'passkey.expired' },
  passkey_unknown: { key: 'passkey.unknown' },
  passkey_counter_regressed: { key: 'passkey.refused' },
  sign_up_not_confirmed: { key: 'passkey.not_confirmed' },
};

const SIGN_UP_REFUSALS: Expected = {
  invalid_input: {},
  too_many_attempts: { key: 'signup.too_many' },
  passkey_refused: { key: 'passkey.refused' },
  passkey_challenge_invalid: { key: 'passkey.expired' },
};

/** The credential the page's script posted (JSON from the browser helper). */
const credentialOf = (form: Form) => form.text('credential');

function json(ctx: Context, body: unknown) {
  ctx.status = 200;
  ctx.type = 'application/json';
  ctx.body = body;
}

export function passkeyInteractionRoutes(deps: PasskeyInteractionDeps): Router {
  const { kit, passkeys } = deps;
  const router = new Router({ prefix: '/interaction' });
  router.use(deps.sameOrigin);
  router.use('/:uid/signup', async (_ctx, next) => {
    if (deps.signUpEnabled === false) throw notFound();
    await next();
  });

  router.post(
    '/:uid/passkey/options',
    kit.step({ prompt: 'login', form: true }, async (ctx, { details }) => {
      json(ctx, await passkeys.authenticationOptions(details.uid));
    }),
  );

  router.post(
    '/:uid/passkey',
    kit.step({ prompt: 'login', form: true }, async (ctx, { details, form }) => {
      const remember = form.text('remember') !== 'no';
      const signedIn = await onForm(
        kit.loginAgain(ctx, details),
        SIGN_IN_REFUSALS,
        kit.judge('passkey', () => passkeys.signIn(details.uid, credentialOf(form))),
      );
      ctx.state.log.info(
        { event: 'passkey.used', accountId: signedIn.profile.id, passkeyId: signedIn.passkeyId },
        'passkey accepted',
      );
      await kit.signIn(ctx, signedIn.profile, {
        remember,
        // acr follows from amr (kit.completeSignIn): a passkey verified with UV reaches phr.
        amr: signedIn.amr,
        via: 'passkey',
      });
    }),
  );

  router.post(
    '/:uid/signup/passkey/start',
    kit.step({ prompt: 'login', form: true }, async (ctx, { details, form }) => {
      const values = { name: kit.field(form, 'name'), email: kit.field(form, 'email').trim() };
      const again = (r: Rejection) =>
        kit.signUpPage(ctx, details, r.status, {
          values,
          ...(r.fields ? { errors: { ...r.fields } } : { error: r.message }),
        });
      const options = await onForm(again, SIGN_UP_REFUSALS, () =>
        passkeys.signUpOptions(details.uid, values),
      );
      await kit.signUpPage(ctx, details, 200, {
        values,
        passkey: { options: JSON.stringify(options) },
      });
    }),
  );

  router.post(
    '/:uid/signup/passkey',
    kit.step({ prompt: 'login', form: true }, async (ctx, { details, form }) => {
      const again = (r: Rejection) => kit.signUpPage(ctx, details, r.status, { error: r.message });
      const browser = deps.cookies.browserSecret(ctx);
      const outcome = await onForm(again, SIGN_UP_REFUSALS, () =>
        passkeys.signUp(details.uid, credentialOf(form), { source: ctx.ip, browser }),
      );
      // As with a password: the log may tell which it was, the person sees the same page.
      if (outcome.accountId) kit.metrics.signUp('passkey');
      ctx.state.log.info(
        outcome.accountId
          ? { event: 'account.created', accountId: outcome.accountId, via: 'passkey' }
          : { event: 'account.sign_up_for_existing_address', via: 'passkey' },
        'sign-up answered: check your email',
      );
      deps.cookies.rememberInteraction(ctx, details.uid);
      kit.pages.checkEmail(ctx, 200, {
        kind: 'sign-up',
        email: outcome.email,
        csrf: deps.csrf.issue(`links:${browser}`),
        backUrl: `/interaction/${details.uid}`,
      });
    }),
  );

  return router;
}

// The pages between an authorization request and its answer: sign-in, sign-up, consent, abort.
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { errors as oidcErrors } from 'oidc-provider';
import type { AccountService } from '../accounts/account-service.ts';
import type { CsrfTokens } from '../http/csrf.ts';
import { type Expected, FormRejected, onForm, type Rejection } from '../http/form-rejected.ts';
import { badRequest, notFound } from '../http/http-errors.ts';
import type { LinkCookies } from '../http/link-cookies.ts';
import { isFirstParty } from '../oidc/consent-policy.ts';
import type { ConsentStore } from '../oidc/consent-store.ts';
import { STEP_UP_REASON } from '../oidc/mfa-policy.ts';
import type { ResourceServers } from '../oidc/resource-servers.ts';
import type { Details, InteractionKit } from './interaction-kit.ts';
import { describeScopes } from './scope-descriptions.ts';
import type { SignInTickets } from './sign-in-tickets.ts';

export interface InteractionDeps {
  kit: InteractionKit;
  accounts: AccountService;
  consents: ConsentStore;
  /** Names the APIs and describes their scopes on the consent page. */
  resourceServers: ResourceServers;
  /** Refuses cross-site posts to these pages (see http/csrf.ts). */
  sameOrigin: Middleware;
  /** SIGN_UP_ENABLED: false answers the sign-up page with 404. */
  signUpEnabled?: boolean;
  csrf: CsrfTokens;
  /** Sign-ins proved outside these pages (a new password from a reset link, a confirmed sign-up). */
  tickets: SignInTickets;
  cookies: LinkCookies;
  /** A session below the level this request requires: its second step (second-step.ts). */
  stepUp?: (ctx: Context, details: Details) => Promise<boolean>;
}

type MissingGrants = {
  missingOIDCScope?: string[];
  missingOIDCClaims?: string[];
  missingResourceScopes?: Record<string, string[]>;
};

/**
 * What the sign-in form shows itself: a wrong password (or an address not confirmed yet, which
 * reads the same so sign-up never tells which addresses were new), and the throttle's wait.
 */
const SIGN_IN_REFUSALS: Expected = {
  invalid_credentials: { key: 'login.failed' },
  too_many_attempts: {},
};

const SIGN_UP_REFUSALS: Expected = {
  invalid_input: {},
  too_many_attempts: { key: 'signup.too_many' },
};

export function interactionRoutes(deps: InteractionDeps): Router {
  const { kit, accounts, consents } = deps;
  const { provider } = kit;
  const router = new Router({ prefix: '/interaction' });
  router.use(deps.sameOrigin);
  router.use('/:uid/signup', async (_ctx, next) => {
    if (deps.signUpEnabled === false) throw notFound();
    await next();
  });

  async function grantConsent(ctx: Context, details: Details, remember: boolean) {
    const accountId = details.session?.accountId;
    if (!accountId) throw new oidcErrors.SessionNotFound('no signed-in account');
    const clientId = String(details.params.client_id);
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId, clientId });
    if (!grant) throw new oidcErrors.SessionNotFound('grant expired');
    const missing = details.prompt.details as MissingGrants;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    const resourceScopes: Record<string, string> = {};
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
      resourceScopes[indicator] = scopes.join(' ');
    }
    const grantId = await grant.save();
    if (remember) {
      await consents.remember(accountId, clientId, {
        scope: (missing.missingOIDCScope ?? []).join(' '),
        claims: missing.missingOIDCClaims ?? [],
        resourceScopes,
      });
    }
    ctx.state.log.info({ event: 'consent.granted', accountId, clientId }, 'consent granted');
    // Asked and allowed (a first-party app's consent is implied, and not an event).
    if (remember) {
      kit.audit.record({
        type: 'consent.granted',
        accountId,
        clientId,
        details: {
          scopes: missing.missingOIDCScope ?? [],
          apis: Object.keys(missing.missingResourceScopes ?? {}),
        },
      });
    }
    await kit.finish(ctx, { consent: details.grantId ? {} : { grantId } }, true);
  }

  router.get(
    '/:uid',
    kit.step({}, async (ctx, { details }) => {
      if (details.prompt.name === 'login') {
        const ticket = await deps.tickets.redeem(deps.cookies.takeTicket(ctx));
        const profile = ticket && (await accounts.findProfile(ticket.accountId));
        if (ticket && profile) {
          return kit.signIn(ctx, profile, { remember: true, amr: ticket.amr, via: ticket.via });
        }
        // Signed in, but with one factor where two are required: only the second step is asked.
        const reasons = details.prompt.reasons;
        if (reasons.length === 1 && reasons[0] === STEP_UP_REASON && deps.stepUp) {
          if (await deps.stepUp(ctx, details)) return;
        }
        return kit.loginPage(ctx, details, 200);
      }
      if (details.prompt.name !== 'consent') throw badRequest('interaction.step_unsupported');
      const client = await kit.clientOf(details);
      if (isFirstParty(client)) return grantConsent(ctx, details, false);
      const missing = details.prompt.details as MissingGrants;
      kit.pages.consent(ctx, 200, {
        ...(await kit.interactionLocals(details)),
        clientUri: typeof client.clientUri === 'string' ? client.clientUri : undefined,
        scopes: describeScopes(
          missing.missingOIDCScope ?? [],
          missing.missingResourceScopes ?? {},
          deps.resourceServers,
        ),
      });
    }),
  );

  router.get(
    '/:uid/signup',
    kit.step({ prompt: 'login' }, (ctx, { details }) => kit.signUpPage(ctx, details, 200)),
  );

  router.post(
    '/:uid/login',
    kit.step({ prompt: 'login', form: true }, async (ctx, { details, form }) => {
      const email = kit.field(form, 'email').trim();
      const password = kit.field(form, 'password');
      const remember = form.text('remember') === 'yes';
      const again = kit.loginAgain(ctx, details, email);
      if (email === '' || password === '') {
        throw new FormRejected(again, { status: 400, key: 'login.missing' });
      }
      const profile = await onForm(
        again,
        SIGN_IN_REFUSALS,
        kit.judge('password', () =>
          accounts.signInWithPassword({ email, password, source: ctx.ip }),
        ),
      );
      await kit.signIn(ctx, profile, { remember, amr: ['pwd'], via: 'password' });
    }),
  );

  router.post(
    '/:uid/signup',
    kit.step({ prompt: 'login', form: true }, async (ctx, { details, form }) => {
      const values = { name: kit.field(form, 'name'), email: kit.field(form, 'email').trim() };
      const password = kit.field(form, 'password');
      const again = (r: Rejection) =>
        kit.signUpPage(ctx, details, r.status, {
          values,
          ...(r.fields ? { errors: { ...r.fields } } : { error: r.message }),
        });
      const browser = deps.cookies.browserSecret(ctx);
      const pending = await onForm(again, SIGN_UP_REFUSALS, () =>
        accounts.signUp({ ...values, password, source: ctx.ip, browser }),
      );
      // The log may tell operators which it was; the person sees the same page either way.
      if (pending) kit.metrics.signUp('password');
      ctx.state.log.info(
        pending
          ? { event: 'account.created', accountId: pending.accountId }
          : { event: 'account.sign_up_for_existing_address' },
        'sign-up answered: check your email',
      );
      deps.cookies.rememberInteraction(ctx, details.uid);
      kit.pages.checkEmail(ctx, 200, {
        kind: 'sign-up',
        email: values.email,
        csrf: deps.csrf.issue(`links:${browser}`),
        backUrl: `/interaction/${details.uid}`,
      });
    }),
  );

  router.post(
    '/:uid/consent',
    kit.step({ prompt: 'consent', form: true }, async (ctx, { details, form }) => {
      const decision = form.text('decision');
      if (decision === 'allow') return grantConsent(ctx, details, true);
      if (decision !== 'deny') throw badRequest('interaction.choose_decision');
      ctx.state.log.info({ event: 'consent.denied' }, 'consent denied');
      kit.audit.record({ type: 'consent.denied', accountId: details.session?.accountId });
      await kit.finish(ctx, {
        error: 'access_denied',
        error_description: 'End-User denied the request',
      });
    }),
  );

  router.post(
    '/:uid/abort',
    kit.step({ form: true }, (ctx) =>
      kit.finish(ctx, {
        error: 'access_denied',
        error_description: 'End-User aborted interaction',
      }),
    ),
  );

  return router;
}

// The pages between an authorization request and its answer: sign-in, sign-up, consent, abort.
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { type InteractionResults, errors as oidcErrors } from 'oidc-provider';
import type { Profile } from '../accounts/account.ts';
import type { AccountService } from '../accounts/account-service.ts';
import {
  EmailTaken,
  InvalidCredentials,
  InvalidInput,
  TooManyAttempts,
} from '../accounts/errors.ts';
import { MAX_EMAIL_LENGTH } from '../accounts/profile-fields.ts';
import type { CsrfTokens } from '../http/csrf.ts';
import { type Form, readForm } from '../http/form.ts';
import { badRequest, forbidden } from '../http/http-errors.ts';
import type { Locals, Views } from '../http/views.ts';
import { isFirstParty } from '../oidc/consent-policy.ts';
import type { ConsentStore } from '../oidc/consent-store.ts';
import { describeScopes } from './scope-descriptions.ts';

export interface InteractionDeps {
  provider: Provider;
  accounts: AccountService;
  consents: ConsentStore;
  views: Views;
  csrf: CsrfTokens;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/** Longest input we even look at; anything larger is a malformed request, not a password. */
const MAX_FIELD = 1024;

export function interactionRoutes(deps: InteractionDeps): Router {
  const { provider, accounts, consents, views, csrf } = deps;
  const router = new Router({ prefix: '/interaction' });

  /** The interaction named by the cookie; it must be the one in the URL. */
  async function load(ctx: Context): Promise<Details> {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== ctx.params.uid)
      throw new oidcErrors.SessionNotFound('interaction mismatch');
    return details;
  }

  async function clientOf(details: Details) {
    const client = await provider.Client.find(String(details.params.client_id));
    if (!client) throw new oidcErrors.SessionNotFound('client no longer exists');
    return client;
  }

  async function form(ctx: Context, details: Details): Promise<Form> {
    const body = await readForm(ctx);
    if (!csrf.verify(details.uid, body.text('csrf'))) {
      throw forbidden(
        'This form has expired or was not sent from this site. Go back and try again.',
      );
    }
    return body;
  }

  function field(body: Form, name: string): string {
    const value = body.text(name);
    if (value.length > MAX_FIELD) throw badRequest(`The field "${name}" is too long.`);
    return value;
  }

  function render(ctx: Context, view: string, status: number, locals: Locals & { title: string }) {
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = views.render(view, {
      nonce: String(ctx.state.nonce),
      requestId: String(ctx.state.requestId),
      ...locals,
    });
  }

  async function finish(ctx: Context, result: InteractionResults, merge = false) {
    const to = await provider.interactionResult(ctx.req, ctx.res, result, {
      mergeWithLastSubmission: merge,
    });
    ctx.status = 303;
    ctx.redirect(to);
  }

  async function signIn(ctx: Context, profile: Profile, remember: boolean, amr: string[]) {
    ctx.state.log.info({ event: 'login.success', accountId: profile.id, amr }, 'signed in');
    await finish(ctx, { login: { accountId: profile.id, amr, remember } });
  }

  async function loginPage(
    ctx: Context,
    details: Details,
    status: number,
    extra: { email?: string; error?: string } = {},
  ) {
    const client = await clientOf(details);
    const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint : '';
    render(ctx, 'login', status, {
      title: 'Sign in',
      uid: details.uid,
      csrf: csrf.issue(details.uid),
      clientName: client.clientName ?? client.clientId,
      email: extra.email ?? hint.slice(0, MAX_EMAIL_LENGTH),
      error: extra.error,
    });
  }

  async function signUpPage(
    ctx: Context,
    details: Details,
    status: number,
    extra: {
      values?: { name: string; email: string };
      errors?: Record<string, string>;
      error?: string;
    } = {},
  ) {
    const client = await clientOf(details);
    render(ctx, 'signup', status, {
      title: 'Create your account',
      uid: details.uid,
      csrf: csrf.issue(details.uid),
      clientName: client.clientName ?? client.clientId,
      values: extra.values ?? { name: '', email: '' },
      errors: extra.errors ?? {},
      error: extra.error,
    });
  }

  function expectPrompt(details: Details, name: string) {
    if (details.prompt.name !== name) {
      throw badRequest('This step of signing in is already done. Go back to the application.');
    }
  }

  async function grantConsent(ctx: Context, details: Details, remember: boolean) {
    const accountId = details.session?.accountId;
    if (!accountId) throw new oidcErrors.SessionNotFound('no signed-in account');
    const clientId = String(details.params.client_id);
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId, clientId });
    if (!grant) throw new oidcErrors.SessionNotFound('grant expired');
    const missing = details.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    if (remember) {
      const resourceScopes: Record<string, string> = {};
      for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
        resourceScopes[indicator] = scopes.join(' ');
      }
      await consents.remember(accountId, clientId, {
        scope: (missing.missingOIDCScope ?? []).join(' '),
        claims: missing.missingOIDCClaims ?? [],
        resourceScopes,
      });
    }
    ctx.state.log.info({ event: 'consent.granted', accountId, clientId }, 'consent granted');
    await finish(ctx, { consent: details.grantId ? {} : { grantId } }, true);
  }

  router.get('/:uid', async (ctx) => {
    const details = await load(ctx);
    if (details.prompt.name === 'login') return loginPage(ctx, details, 200);
    if (details.prompt.name === 'consent') {
      const client = await clientOf(details);
      if (isFirstParty(client)) return grantConsent(ctx, details, false);
      const missing = details.prompt.details as {
        missingOIDCScope?: string[];
        missingResourceScopes?: Record<string, string[]>;
      };
      return render(ctx, 'consent', 200, {
        title: 'Allow access',
        uid: details.uid,
        csrf: csrf.issue(details.uid),
        clientName: client.clientName ?? client.clientId,
        clientUri: typeof client.clientUri === 'string' ? client.clientUri : undefined,
        scopes: describeScopes(missing.missingOIDCScope ?? [], missing.missingResourceScopes ?? {}),
      });
    }
    throw badRequest('This sign-in step is not supported.');
  });

  router.get('/:uid/signup', async (ctx) => {
    const details = await load(ctx);
    expectPrompt(details, 'login');
    await signUpPage(ctx, details, 200);
  });

  router.post('/:uid/login', async (ctx) => {
    const details = await load(ctx);
    const body = await form(ctx, details);
    expectPrompt(details, 'login');
    const email = field(body, 'email').trim();
    const password = field(body, 'password');
    const remember = body.text('remember') === 'yes';
    if (email === '' || password === '') {
      return loginPage(ctx, details, 400, { email, error: 'Enter your email and password.' });
    }
    try {
      const profile = await accounts.signInWithPassword({ email, password, source: ctx.ip });
      await signIn(ctx, profile, remember, ['pwd']);
    } catch (error) {
      if (error instanceof InvalidCredentials) {
        ctx.state.log.info({ event: 'login.failed' }, 'sign-in refused');
        return loginPage(ctx, details, 401, {
          email,
          error: 'The email or password is incorrect.',
        });
      }
      if (error instanceof TooManyAttempts) {
        ctx.set('Retry-After', String(error.retryAfterSeconds));
        return loginPage(ctx, details, 429, {
          email,
          error: `Too many attempts. Wait ${Math.ceil(error.retryAfterSeconds / 60)} minute(s) and try again.`,
        });
      }
      throw error;
    }
  });

  router.post('/:uid/signup', async (ctx) => {
    const details = await load(ctx);
    const body = await form(ctx, details);
    expectPrompt(details, 'login');
    const values = { name: field(body, 'name'), email: field(body, 'email').trim() };
    const password = field(body, 'password');
    try {
      const profile = await accounts.signUp({ ...values, password, source: ctx.ip });
      ctx.state.log.info({ event: 'account.created', accountId: profile.id }, 'account created');
      await signIn(ctx, profile, true, ['pwd']);
    } catch (error) {
      if (error instanceof InvalidInput) {
        return signUpPage(ctx, details, 400, { values, errors: { ...error.fields } });
      }
      if (error instanceof EmailTaken) {
        return signUpPage(ctx, details, 409, {
          values,
          errors: {
            email:
              'That email address cannot be used for a new account. If it is yours, sign in instead.',
          },
        });
      }
      if (error instanceof TooManyAttempts) {
        ctx.set('Retry-After', String(error.retryAfterSeconds));
        return signUpPage(ctx, details, 429, {
          values,
          error: 'Too many accounts were created from your network. Try again later.',
        });
      }
      throw error;
    }
  });

  router.post('/:uid/consent', async (ctx) => {
    const details = await load(ctx);
    const body = await form(ctx, details);
    expectPrompt(details, 'consent');
    const decision = body.text('decision');
    if (decision === 'allow') return grantConsent(ctx, details, true);
    if (decision === 'deny') {
      ctx.state.log.info({ event: 'consent.denied' }, 'consent denied');
      return finish(ctx, {
        error: 'access_denied',
        error_description: 'End-User denied the request',
      });
    }
    throw badRequest('Choose whether to allow or deny access.');
  });

  router.post('/:uid/abort', async (ctx) => {
    const details = await load(ctx);
    await form(ctx, details);
    await finish(ctx, {
      error: 'access_denied',
      error_description: 'End-User aborted interaction',
    });
  });

  return router;
}

// The pages between an authorization request and its answer: sign-in, sign-up, consent, abort.
import Router from '@koa/router';
import type { Context } from 'koa';
import { errors as oidcErrors } from 'oidc-provider';
import type { AccountService } from '../accounts/account-service.ts';
import {
  EmailTaken,
  InvalidCredentials,
  InvalidInput,
  TooManyAttempts,
} from '../accounts/errors.ts';
import { badRequest } from '../http/http-errors.ts';
import { isFirstParty } from '../oidc/consent-policy.ts';
import type { ConsentStore } from '../oidc/consent-store.ts';
import { apiResource } from '../oidc/provider.ts';
import type { Details, InteractionKit } from './interaction-kit.ts';
import { describeScopes } from './scope-descriptions.ts';

export interface InteractionDeps {
  kit: InteractionKit;
  accounts: AccountService;
  consents: ConsentStore;
}

type MissingGrants = {
  missingOIDCScope?: string[];
  missingOIDCClaims?: string[];
  missingResourceScopes?: Record<string, string[]>;
};

export const waitMessage = (seconds: number) =>
  `Too many attempts. Wait ${Math.ceil(seconds / 60)} minute(s) and try again.`;

export function interactionRoutes(deps: InteractionDeps): Router {
  const { kit, accounts, consents } = deps;
  const { provider } = kit;
  const router = new Router({ prefix: '/interaction' });

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
    await kit.finish(ctx, { consent: details.grantId ? {} : { grantId } }, true);
  }

  router.get('/:uid', async (ctx) => {
    const details = await kit.load(ctx);
    if (details.prompt.name === 'login') return kit.loginPage(ctx, details, 200);
    if (details.prompt.name === 'consent') {
      const client = await kit.clientOf(details);
      if (isFirstParty(client)) return grantConsent(ctx, details, false);
      const missing = details.prompt.details as MissingGrants;
      return kit.render(ctx, 'consent', 200, {
        title: 'Allow access',
        uid: details.uid,
        csrf: kit.csrfToken(details),
        clientName: client.clientName ?? client.clientId,
        clientUri: typeof client.clientUri === 'string' ? client.clientUri : undefined,
        scopes: describeScopes(
          missing.missingOIDCScope ?? [],
          missing.missingResourceScopes ?? {},
          apiResource(provider.issuer),
        ),
      });
    }
    throw badRequest('This sign-in step is not supported.');
  });

  router.get('/:uid/signup', async (ctx) => {
    const details = await kit.load(ctx);
    kit.expectPrompt(details, 'login');
    await kit.signUpPage(ctx, details, 200);
  });

  router.post('/:uid/login', async (ctx) => {
    const details = await kit.load(ctx);
    const body = await kit.form(ctx, details);
    kit.expectPrompt(details, 'login');
    const email = kit.field(body, 'email').trim();
    const password = kit.field(body, 'password');
    const remember = body.text('remember') === 'yes';
    if (email === '' || password === '') {
      return kit.loginPage(ctx, details, 400, { email, error: 'Enter your email and password.' });
    }
    try {
      const profile = await accounts.signInWithPassword({ email, password, source: ctx.ip });
      await kit.signIn(ctx, profile, { remember, amr: ['pwd'], via: 'password' });
    } catch (error) {
      if (error instanceof InvalidCredentials) {
        ctx.state.log.info({ event: 'login.failed' }, 'sign-in refused');
        return kit.loginPage(ctx, details, 401, {
          email,
          error: 'The email or password is incorrect.',
        });
      }
      if (error instanceof TooManyAttempts) {
        ctx.set('Retry-After', String(error.retryAfterSeconds));
        return kit.loginPage(ctx, details, 429, {
          email,
          error: waitMessage(error.retryAfterSeconds),
        });
      }
      throw error;
    }
  });

  router.post('/:uid/signup', async (ctx) => {
    const details = await kit.load(ctx);
    const body = await kit.form(ctx, details);
    kit.expectPrompt(details, 'login');
    const values = { name: kit.field(body, 'name'), email: kit.field(body, 'email').trim() };
    const password = kit.field(body, 'password');
    try {
      const profile = await accounts.signUp({ ...values, password, source: ctx.ip });
      ctx.state.log.info({ event: 'account.created', accountId: profile.id }, 'account created');
      await kit.signIn(ctx, profile, { remember: true, amr: ['pwd'], via: 'sign-up' });
    } catch (error) {
      if (error instanceof InvalidInput) {
        return kit.signUpPage(ctx, details, 400, { values, errors: { ...error.fields } });
      }
      if (error instanceof EmailTaken) {
        return kit.signUpPage(ctx, details, 409, {
          values,
          errors: {
            email:
              'That email address cannot be used for a new account. If it is yours, sign in instead.',
          },
        });
      }
      if (error instanceof TooManyAttempts) {
        ctx.set('Retry-After', String(error.retryAfterSeconds));
        return kit.signUpPage(ctx, details, 429, {
          values,
          error: 'Too many accounts were created from your network. Try again later.',
        });
      }
      throw error;
    }
  });

  router.post('/:uid/consent', async (ctx) => {
    const details = await kit.load(ctx);
    const body = await kit.form(ctx, details);
    kit.expectPrompt(details, 'consent');
    const decision = body.text('decision');
    if (decision === 'allow') return grantConsent(ctx, details, true);
    if (decision === 'deny') {
      ctx.state.log.info({ event: 'consent.denied' }, 'consent denied');
      return kit.finish(ctx, {
        error: 'access_denied',
        error_description: 'End-User denied the request',
      });
    }
    throw badRequest('Choose whether to allow or deny access.');
  });

  router.post('/:uid/abort', async (ctx) => {
    const details = await kit.load(ctx);
    await kit.form(ctx, details);
    await kit.finish(ctx, {
      error: 'access_denied',
      error_description: 'End-User aborted interaction',
    });
  });

  return router;
}

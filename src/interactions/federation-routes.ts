// Sign-in through Google, Facebook or X: out to the provider with a fresh state bound to the
// interaction, back through a fixed callback, then sign-in, account creation or a proven link.
import Router from '@koa/router';
import type { Context } from 'koa';
import type { AccountService } from '../accounts/account-service.ts';
import { IdentityAlreadyLinked, InvalidCredentials, TooManyAttempts } from '../accounts/errors.ts';
import type { FederatedAccounts } from '../accounts/federated-accounts.ts';
import type { FederationAttempts, PendingLink } from '../federation/attempts.ts';
import type { Upstreams } from '../federation/registry.ts';
import {
  UpstreamAccountNotAllowed,
  UpstreamDenied,
  type UpstreamProvider,
  UpstreamRejected,
  UpstreamUnavailable,
} from '../federation/upstream.ts';
import { notFound } from '../http/http-errors.ts';
import type { Details, InteractionKit } from './interaction-kit.ts';
import { waitMessage } from './routes.ts';

export interface FederationDeps {
  kit: InteractionKit;
  accounts: AccountService;
  federated: FederatedAccounts;
  attempts: FederationAttempts;
  upstreams: Upstreams;
  issuer: string;
}

/** The redirect URI to register with each provider. */
export const upstreamRedirectUri = (issuer: string, provider: string) =>
  `${issuer}/federation/${provider}/callback`;

export function federationRoutes(deps: FederationDeps): Router {
  const { kit, accounts, federated, attempts, upstreams, issuer } = deps;
  const router = new Router();

  function upstreamOf(ctx: Context): UpstreamProvider {
    const upstream = upstreams.get(String(ctx.params.provider));
    if (!upstream) throw notFound('This sign-in provider is not enabled.');
    return upstream;
  }

  function problemPage(
    ctx: Context,
    details: Details,
    status: number,
    title: string,
    message: string,
  ) {
    kit.render(ctx, 'error', status, {
      title,
      status,
      message,
      backUrl: `/interaction/${details.uid}`,
      backLabel: 'Back to sign-in',
    });
  }

  // The same page whatever the account has: a visitor who is not yet signed in learns nothing
  // about its password or linked providers. A method the account lacks simply fails.
  async function linkPage(
    ctx: Context,
    details: Details,
    link: PendingLink,
    status: number,
    error?: string,
  ) {
    const upstream = upstreams.get(link.identity.provider);
    const others = [...upstreams.values()].filter((u) => u.id !== link.identity.provider);
    kit.render(ctx, 'link', status, {
      title: 'Link your account',
      uid: details.uid,
      csrf: kit.csrfToken(details),
      clientName: await kit.clientName(details),
      providerName: upstream?.name ?? link.identity.provider,
      email: link.identity.email ?? '',
      others: others.map((u) => ({ id: u.id, name: u.name })),
      error,
    });
  }

  async function pendingOrBack(ctx: Context, details: Details): Promise<PendingLink | undefined> {
    const link = await attempts.pendingLink(details.uid);
    if (!link) {
      ctx.status = 303;
      ctx.redirect(`/interaction/${details.uid}`);
    }
    return link;
  }

  async function finishLink(ctx: Context, details: Details, link: PendingLink, how: string) {
    try {
      const profile = await federated.link(link.accountId, link.identity);
      await attempts.dropPendingLink(details.uid);
      ctx.state.log.info(
        { event: 'identity.linked', accountId: profile.id, provider: link.identity.provider, how },
        'identity linked',
      );
      await kit.signIn(ctx, profile, { remember: true, via: link.identity.provider });
    } catch (error) {
      if (!(error instanceof IdentityAlreadyLinked)) throw error;
      await attempts.dropPendingLink(details.uid);
      problemPage(
        ctx,
        details,
        409,
        'Already linked',
        'This sign-in is already linked to another account. Sign in with that account instead.',
      );
    }
  }

  router.post('/interaction/:uid/federated/:provider', async (ctx) => {
    const details = await kit.load(ctx);
    await kit.form(ctx, details);
    kit.expectPrompt(details, 'login');
    const upstream = upstreamOf(ctx);
    const attempt = await attempts.start({
      uid: details.uid,
      provider: upstream.id,
      redirectUri: upstreamRedirectUri(issuer, upstream.id),
    });
    let url: URL;
    try {
      url = await upstream.authorizationUrl(attempt);
    } catch (error) {
      ctx.state.log.warn({ err: error, provider: upstream.id }, 'upstream unavailable');
      return problemPage(
        ctx,
        details,
        503,
        `${upstream.name} is unavailable`,
        `${upstream.name} cannot be reached right now. Try again in a few minutes, or sign in another way.`,
      );
    }
    ctx.status = 303;
    ctx.redirect(url.toString());
  });

  // Providers return to one fixed address; the interaction cookie lives under /interaction/:uid,
  // so the browser is sent on to that path, where the state is checked and used up.
  router.get('/federation/:provider/callback', async (ctx) => {
    const upstream = upstreamOf(ctx);
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const attempt = await attempts.peek(state);
    if (!attempt || attempt.provider !== upstream.id) {
      kit.render(ctx, 'error', 400, {
        title: 'This sign-in has expired',
        status: 400,
        message: `This ${upstream.name} sign-in is unknown, expired or already used. Go back to the application and start signing in again.`,
      });
      return;
    }
    ctx.status = 303;
    ctx.redirect(
      `/interaction/${attempt.uid}/federated/${upstream.id}/callback?${ctx.querystring}`,
    );
  });

  router.get('/interaction/:uid/federated/:provider/callback', async (ctx) => {
    const details = await kit.load(ctx);
    kit.expectPrompt(details, 'login');
    const upstream = upstreamOf(ctx);
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const attempt = await attempts.take(state);
    if (!attempt || attempt.uid !== details.uid || attempt.provider !== upstream.id) {
      ctx.state.log.warn(
        { event: 'federation.state_mismatch', provider: upstream.id },
        'bad state',
      );
      return kit.loginPage(ctx, details, 400, {
        error: `That ${upstream.name} sign-in could not be verified. Please try again.`,
      });
    }

    let identity: Awaited<ReturnType<UpstreamProvider['complete']>>;
    try {
      identity = await upstream.complete(new URLSearchParams(ctx.querystring), {
        ...attempt,
        state,
      });
    } catch (error) {
      if (error instanceof UpstreamDenied) {
        return kit.loginPage(ctx, details, 200, {
          notice: `You cancelled signing in with ${upstream.name}. Choose another way to sign in.`,
        });
      }
      if (error instanceof UpstreamAccountNotAllowed) {
        return kit.loginPage(ctx, details, 403, { error: error.reason });
      }
      if (error instanceof UpstreamUnavailable) {
        ctx.state.log.warn({ err: error, provider: upstream.id }, 'upstream unavailable');
        ctx.set('Retry-After', '30');
        return problemPage(
          ctx,
          details,
          503,
          `${upstream.name} is unavailable`,
          `${upstream.name} did not answer in time or had a problem. Try again in a few minutes, or sign in another way.`,
        );
      }
      if (error instanceof UpstreamRejected) {
        ctx.state.log.warn({ err: error, provider: upstream.id }, 'upstream answer refused');
        return problemPage(
          ctx,
          details,
          502,
          `${upstream.name} sign-in failed`,
          `The answer from ${upstream.name} could not be accepted. Try again, or sign in another way.`,
        );
      }
      throw error;
    }

    const outcome = await federated.signIn(identity);
    if (outcome.kind === 'link-required') {
      await attempts.savePendingLink(details.uid, { identity, accountId: outcome.accountId });
      ctx.status = 303;
      ctx.redirect(`/interaction/${details.uid}/link`);
      return;
    }
    // Signing in to the account with another linked provider proves ownership for a pending link.
    const pending = await attempts.pendingLink(details.uid);
    if (pending && pending.accountId === outcome.profile.id) {
      return finishLink(ctx, details, pending, `via ${upstream.id}`);
    }
    if (outcome.created) {
      ctx.state.log.info(
        { event: 'account.created', accountId: outcome.profile.id, provider: upstream.id },
        'account created',
      );
    }
    await kit.signIn(ctx, outcome.profile, { remember: true, via: upstream.id });
  });

  router.get('/interaction/:uid/link', async (ctx) => {
    const details = await kit.load(ctx);
    kit.expectPrompt(details, 'login');
    const link = await pendingOrBack(ctx, details);
    if (link) await linkPage(ctx, details, link, 200);
  });

  router.post('/interaction/:uid/link', async (ctx) => {
    const details = await kit.load(ctx);
    const body = await kit.form(ctx, details);
    kit.expectPrompt(details, 'login');
    const link = await pendingOrBack(ctx, details);
    if (!link) return;
    const password = kit.field(body, 'password');
    const account = await accounts.findProfile(link.accountId);
    if (!account?.email) return pendingOrBack(ctx, details);
    try {
      const profile = await accounts.signInWithPassword({
        email: account.email,
        password,
        source: ctx.ip,
      });
      if (profile.id !== link.accountId) throw new InvalidCredentials();
      await finishLink(ctx, details, link, 'password');
    } catch (error) {
      if (error instanceof InvalidCredentials) {
        return linkPage(ctx, details, link, 401, 'That password does not sign in to that account.');
      }
      if (error instanceof TooManyAttempts) {
        ctx.set('Retry-After', String(error.retryAfterSeconds));
        return linkPage(ctx, details, link, 429, waitMessage(error.retryAfterSeconds));
      }
      throw error;
    }
  });

  router.post('/interaction/:uid/link/separate', async (ctx) => {
    const details = await kit.load(ctx);
    await kit.form(ctx, details);
    kit.expectPrompt(details, 'login');
    const link = await pendingOrBack(ctx, details);
    if (!link) return;
    const profile = await federated.createSeparate(link.identity);
    await attempts.dropPendingLink(details.uid);
    ctx.state.log.info(
      { event: 'account.created', accountId: profile.id, provider: link.identity.provider },
      'separate account created',
    );
    await kit.signIn(ctx, profile, { remember: true, via: link.identity.provider });
  });

  router.post('/interaction/:uid/link/cancel', async (ctx) => {
    const details = await kit.load(ctx);
    await kit.form(ctx, details);
    await attempts.dropPendingLink(details.uid);
    ctx.status = 303;
    ctx.redirect(`/interaction/${details.uid}`);
  });

  return router;
}

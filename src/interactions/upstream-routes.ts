// Sign-in through Google, Facebook or X: out to the upstream with a fresh state bound to the
// interaction, back through a fixed callback, then sign-in, account creation or a proven link.
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { AccountService } from '../accounts/account-service.ts';
import { InvalidCredentials } from '../accounts/errors.ts';
import type { UpstreamAccounts } from '../accounts/upstream-accounts.ts';
import { type Expected, onForm, type Rejection, type ShowAgain } from '../http/form-rejected.ts';
import { notFound } from '../http/http-errors.ts';
import { codeOf } from '../http/map-error.ts';
import { t } from '../i18n/t.ts';
import type { PendingLink, UpstreamAttempt, UpstreamAttempts } from '../upstreams/attempts.ts';
import type { Upstreams } from '../upstreams/registry.ts';
import { type Upstream, UpstreamUnavailable } from '../upstreams/upstream.ts';
import type { Details, InteractionKit } from './interaction-kit.ts';

export interface UpstreamRouteDeps {
  kit: InteractionKit;
  accounts: AccountService;
  upstreamAccounts: UpstreamAccounts;
  attempts: UpstreamAttempts;
  upstreams: Upstreams;
  issuer: string;
  /** Refuses cross-site posts to these pages (see http/csrf.ts). */
  sameOrigin: Middleware;
}

/** The redirect URI to register with each upstream. */
export const upstreamRedirectUri = (issuer: string, upstream: string) =>
  `${issuer}/federation/${upstream}/callback`;

/**
 * Records a fresh attempt and sends the browser to the upstream; an upstream that cannot be
 * reached before the person leaves (discovery, a bad answer) is shown through `show`.
 */
export async function sendUpstream(
  ctx: Context,
  deps: { attempts: UpstreamAttempts; issuer: string },
  upstream: Upstream,
  start: Pick<UpstreamAttempt, 'uid' | 'accountLink'>,
  show: ShowAgain,
): Promise<void> {
  const attempt = await deps.attempts.start({
    ...start,
    upstream: upstream.id,
    redirectUri: upstreamRedirectUri(deps.issuer, upstream.id),
  });
  const url = await onForm(
    show,
    { upstream_unavailable: { key: 'interaction.upstream_unreachable' } },
    () =>
      upstream.authorizationUrl(attempt).catch((error: unknown) => {
        throw new UpstreamUnavailable(upstream.id, { cause: error });
      }),
    { upstream: upstream.name },
  );
  ctx.status = 303;
  ctx.redirect(url.toString());
}

/** How the callback shows what the upstream said; anything else is an error page. */
export const CALLBACK_REFUSALS: Expected = {
  upstream_denied: {},
  upstream_account_not_allowed: {},
  upstream_unavailable: {},
  upstream_rejected: {},
};

const LINK_REFUSALS: Expected = {
  invalid_credentials: { key: 'link.wrong_password' },
  too_many_attempts: {},
};

const ALREADY_LINKED: Expected = { identity_already_linked: { key: 'link.already_linked' } };

export function upstreamRoutes(deps: UpstreamRouteDeps): Router {
  const { kit, accounts, upstreamAccounts, attempts, upstreams, issuer } = deps;
  const router = new Router();
  router.use(deps.sameOrigin);

  function upstreamOf(ctx: Context): Upstream {
    const upstream = upstreams.get(String(ctx.params.upstream));
    if (!upstream) throw notFound('interaction.upstream_not_enabled');
    return upstream;
  }

  /** An error page that leads back to this interaction's sign-in page. */
  const problemPage =
    (ctx: Context, details: Details): ShowAgain =>
    (r: Rejection) =>
      kit.pages.error(ctx, {
        title: r.title,
        status: r.status,
        message: r.message,
        backUrl: `/interaction/${details.uid}`,
        backLabel: t('interaction.back_to_sign_in'),
      });

  /** The callback's refusals: a cancellation is a notice, a refused account an error on sign-in. */
  const callbackAgain =
    (ctx: Context, details: Details): ShowAgain =>
    (r: Rejection) => {
      if (r.code === 'upstream_denied')
        return kit.loginPage(ctx, details, 200, { notice: r.message });
      if (r.code === 'upstream_account_not_allowed') {
        return kit.loginPage(ctx, details, r.status, { error: r.message });
      }
      return problemPage(ctx, details)(r);
    };

  // The same page whatever the account has: a visitor who is not yet signed in learns nothing
  // about its password or linked upstreams. A method the account lacks simply fails.
  async function linkPage(
    ctx: Context,
    details: Details,
    link: PendingLink,
    status: number,
    error?: string,
  ) {
    const upstream = upstreams.get(link.identity.upstream);
    kit.pages.link(ctx, status, {
      ...(await kit.interactionLocals(details)),
      upstreamName: upstream?.name ?? link.identity.upstream,
      email: link.identity.email ?? '',
      others: kit.upstreamButtons().filter((u) => u.id !== link.identity.upstream),
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
    const profile = await onForm(
      async (r) => {
        await attempts.dropPendingLink(details.uid);
        await problemPage(ctx, details)(r);
      },
      ALREADY_LINKED,
      () => upstreamAccounts.link(link.accountId, link.identity),
    );
    await attempts.dropPendingLink(details.uid);
    ctx.state.log.info(
      { event: 'identity.linked', accountId: profile.id, upstream: link.identity.upstream, how },
      'identity linked',
    );
    await kit.signIn(ctx, profile, { remember: true, via: link.identity.upstream });
  }

  router.post(
    '/interaction/:uid/federated/:upstream',
    kit.step({ prompt: 'login', form: true }, async (ctx, { details }) => {
      const upstream = upstreamOf(ctx);
      await sendUpstream(
        ctx,
        { attempts, issuer },
        upstream,
        { uid: details.uid },
        problemPage(ctx, details),
      );
    }),
  );

  // Upstreams return to one fixed address; the interaction cookie lives under /interaction/:uid,
  // so the browser is sent on to that path, where the state is checked and used up. A link started
  // on the account page goes back there (self-service/upstream-link-routes.ts).
  router.get('/federation/:upstream/callback', async (ctx) => {
    const upstream = upstreamOf(ctx);
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const attempt = await attempts.peek(state);
    if (!attempt || attempt.upstream !== upstream.id) {
      kit.pages.error(ctx, {
        title: t('callback.expired_title'),
        status: 400,
        message: t('callback.expired', { upstream: upstream.name }),
      });
      return;
    }
    ctx.status = 303;
    ctx.redirect(
      attempt.accountLink
        ? `/account/link/${upstream.id}/callback?${ctx.querystring}`
        : `/interaction/${attempt.uid}/federated/${upstream.id}/callback?${ctx.querystring}`,
    );
  });

  router.get(
    '/interaction/:uid/federated/:upstream/callback',
    kit.step({ prompt: 'login' }, async (ctx, { details }) => {
      const upstream = upstreamOf(ctx);
      const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
      const attempt = await attempts.take(state);
      if (!attempt || attempt.uid !== details.uid || attempt.upstream !== upstream.id) {
        ctx.state.log.warn(
          { event: 'upstream.state_mismatch', upstream: upstream.id },
          'bad state',
        );
        kit.audit.record({
          type: 'sign_in',
          outcome: 'failure',
          details: { method: upstream.id, reason: 'state_mismatch' },
        });
        return kit.loginPage(ctx, details, 400, {
          error: t('login.state_mismatch', { upstream: upstream.name }),
        });
      }
      const identity = await onForm(
        callbackAgain(ctx, details),
        CALLBACK_REFUSALS,
        kit.judge(upstream.id, async () => {
          try {
            return await upstream.complete(new URLSearchParams(ctx.querystring), {
              ...attempt,
              state,
            });
          } catch (error) {
            kit.audit.record({
              type: 'sign_in',
              outcome: 'failure',
              details: { method: upstream.id, reason: codeOf(error) ?? 'upstream_error' },
            });
            throw error;
          }
        }),
        { upstream: upstream.name },
      );
      const outcome = await upstreamAccounts.signIn(identity);
      if (outcome.kind === 'link-required') {
        await attempts.savePendingLink(details.uid, { identity, accountId: outcome.accountId });
        ctx.status = 303;
        ctx.redirect(`/interaction/${details.uid}/link`);
        return;
      }
      // Signing in to the account with another linked upstream proves ownership for a pending link.
      const pending = await attempts.pendingLink(details.uid);
      if (pending && pending.accountId === outcome.profile.id) {
        return finishLink(ctx, details, pending, `via ${upstream.id}`);
      }
      if (outcome.created) {
        kit.metrics.signUp(upstream.id);
        ctx.state.log.info(
          { event: 'account.created', accountId: outcome.profile.id, upstream: upstream.id },
          'account created',
        );
      }
      await kit.signIn(ctx, outcome.profile, { remember: true, via: upstream.id });
    }),
  );

  router.get(
    '/interaction/:uid/link',
    kit.step({ prompt: 'login' }, async (ctx, { details }) => {
      const link = await pendingOrBack(ctx, details);
      if (link) await linkPage(ctx, details, link, 200);
    }),
  );

  router.post(
    '/interaction/:uid/link',
    kit.step({ prompt: 'login', form: true }, async (ctx, { details, form }) => {
      const link = await pendingOrBack(ctx, details);
      if (!link) return;
      const password = kit.field(form, 'password');
      const account = await accounts.findProfile(link.accountId);
      if (!account?.email) {
        await pendingOrBack(ctx, details);
        return;
      }
      const email = account.email;
      const again = (r: Rejection) => linkPage(ctx, details, link, r.status, r.message);
      await onForm(
        again,
        LINK_REFUSALS,
        kit.judge('password', async () => {
          const profile = await accounts.signInWithPassword({ email, password, source: ctx.ip });
          if (profile.id !== link.accountId) throw new InvalidCredentials();
        }),
      );
      await finishLink(ctx, details, link, 'password');
    }),
  );

  router.post(
    '/interaction/:uid/link/separate',
    kit.step({ prompt: 'login', form: true }, async (ctx, { details }) => {
      const link = await pendingOrBack(ctx, details);
      if (!link) return;
      const profile = await upstreamAccounts.createSeparate(link.identity);
      await attempts.dropPendingLink(details.uid);
      kit.metrics.signUp(link.identity.upstream);
      ctx.state.log.info(
        { event: 'account.created', accountId: profile.id, upstream: link.identity.upstream },
        'separate account created',
      );
      await kit.signIn(ctx, profile, { remember: true, via: link.identity.upstream });
    }),
  );

  router.post(
    '/interaction/:uid/link/cancel',
    kit.step({ form: true }, async (ctx, { details }) => {
      await attempts.dropPendingLink(details.uid);
      ctx.status = 303;
      ctx.redirect(`/interaction/${details.uid}`);
    }),
  );

  return router;
}

// Linking another upstream from the account page: out through the upstream's usual flow with a
// single-use state bound to this session and account, back to the account page with the new link.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { UpstreamAccounts } from '../accounts/upstream-accounts.ts';
import { type Expected, onForm, type Rejection } from '../http/form-rejected.ts';
import { notFound } from '../http/http-errors.ts';
import { t } from '../i18n/t.ts';
import { CALLBACK_REFUSALS, sendUpstream } from '../interactions/upstream-routes.ts';
import type { UpstreamAttempts } from '../upstreams/attempts.ts';
import type { Upstreams } from '../upstreams/registry.ts';
import type { Upstream } from '../upstreams/upstream.ts';
import type { AccountPageKit } from './account-page-kit.ts';

export interface UpstreamLinkDeps {
  upstreamAccounts: UpstreamAccounts;
  attempts: UpstreamAttempts;
  upstreams: Upstreams;
  issuer: string;
}

const LINK_REFUSALS: Expected = { identity_already_linked: { key: 'account.link.already_linked' } };

/** The one-time notice after a link: `linked:<upstream id>`. */
export const linkedFlash = (upstream: string) => `linked:${upstream}`;

export function upstreamLinkRoutes(router: Router, kit: AccountPageKit, deps: UpstreamLinkDeps) {
  const { upstreamAccounts, attempts, upstreams, issuer } = deps;

  function upstreamOf(ctx: Context): Upstream {
    const upstream = upstreams.get(String(ctx.params.upstream));
    if (!upstream) throw notFound('interaction.upstream_not_enabled');
    return upstream;
  }

  const again = (ctx: Context) => (r: Rejection) =>
    r.code === 'upstream_denied'
      ? kit.page(ctx, 200, { notice: r.message })
      : kit.page(ctx, r.status, { error: r.message });

  router.post('/account/link/:upstream', async (ctx) => {
    const upstream = upstreamOf(ctx);
    const { current } = await kit.signedInForm(ctx);
    if (!(await kit.recentOrReprompt(ctx, current, 'methods'))) return;
    const accountLink = { accountId: current.profile.id, sessionUid: current.session.uid };
    await sendUpstream(ctx, { attempts, issuer }, upstream, { uid: '', accountLink }, again(ctx));
  });

  router.get('/account/link/:upstream/callback', async (ctx) => {
    const upstream = upstreamOf(ctx);
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const attempt = await attempts.take(state);
    const current = await kit.signedIn(ctx);
    const target = attempt?.accountLink;
    if (
      !attempt ||
      !target ||
      attempt.upstream !== upstream.id ||
      !current ||
      current.profile.id !== target.accountId ||
      current.session.uid !== target.sessionUid
    ) {
      ctx.state.log.warn(
        { event: 'upstream.state_mismatch', upstream: upstream.id },
        'bad account link state',
      );
      return kit.page(ctx, 400, { error: t('account.link.expired', { upstream: upstream.name }) });
    }
    const params = { upstream: upstream.name };
    if (ctx.query.error === 'access_denied') {
      return kit.page(ctx, 200, { notice: t('account.link.cancelled', params) });
    }
    const identity = await onForm(
      again(ctx),
      // What the upstream may answer shows on the account page; anything else is an error page.
      CALLBACK_REFUSALS,
      () => upstream.complete(new URLSearchParams(ctx.querystring), { ...attempt, state }),
      params,
    );
    await onForm(
      (r) => kit.page(ctx, r.status, { error: r.message }),
      LINK_REFUSALS,
      () => upstreamAccounts.link(target.accountId, identity),
      params,
    );
    ctx.state.log.info(
      {
        event: 'identity.linked',
        accountId: target.accountId,
        upstream: upstream.id,
        how: 'account page',
      },
      'identity linked',
    );
    kit.flash(ctx, linkedFlash(upstream.id));
    ctx.status = 303;
    ctx.redirect('/account#methods');
  });
}

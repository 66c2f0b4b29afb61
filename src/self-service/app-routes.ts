// "Apps you've allowed" on the account page: each third-party app the account consented to, what
// it may see or do there (worded as on the consent page) and since when, with "Remove access".
// Removing needs a recent sign-in, as signing a device out does.
import type Router from '@koa/router';
import { currentLocale } from '../i18n/current-locale.ts';
import { t } from '../i18n/t.ts';
import {
  describeScopes,
  groupByResource,
  type ScopeCatalogue,
  type ScopeLine,
} from '../interactions/scope-descriptions.ts';
import type { AccountApps, AllowedApp } from '../oidc/account-apps.ts';
import type { AccountPageKit } from './account-page-kit.ts';

/** One app as the page shows it. */
export interface AppRow {
  clientId: string;
  name: string;
  allowed: string;
  groups: { resource: string | undefined; lines: ScopeLine[] }[];
}

export function appRows(apps: readonly AllowedApp[], catalogue: ScopeCatalogue): AppRow[] {
  const date = new Intl.DateTimeFormat(currentLocale(), { dateStyle: 'medium', timeZone: 'UTC' });
  return apps.map((app) => ({
    clientId: app.clientId,
    name: app.name,
    allowed: t('apps.allowed', { when: date.format(app.allowedAt) }),
    groups: groupByResource(describeScopes(app.scopes, app.resourceScopes, catalogue)),
  }));
}

export function appRoutes(router: Router, kit: AccountPageKit, apps: AccountApps) {
  router.post('/account/apps/:clientId/remove', async (ctx) => {
    const { current } = await kit.signedInForm(ctx);
    if (!(await kit.recentOrReprompt(ctx, current, 'apps'))) return;
    const accountId = current.profile.id;
    const clientId = String(ctx.params.clientId).slice(0, 200);
    const listed = (await apps.list(accountId)).find((a) => a.clientId === clientId);
    const removed = listed && (await apps.remove(accountId, clientId));
    if (!listed || !removed) {
      ctx.state.log.info({ event: 'consent.revoke_refused', accountId }, 'app not allowed');
      await kit.page(ctx, 404, { error: t('apps.not_allowed') });
      return;
    }
    ctx.state.log.info(
      { event: 'consent.revoked', accountId, clientId, grants: removed.grants },
      'app access removed',
    );
    kit.audit.record({
      type: 'consent.revoked',
      accountId,
      clientId,
      details: { via: 'account_page', grants: removed.grants },
    });
    await kit.page(ctx, 200, { notice: t('apps.removed', { app: listed.name }) });
  });
}

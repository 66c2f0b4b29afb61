// "Your devices" on the account page: every signed-in browser and every app or device holding a
// refresh token, each with "Sign out", and "Sign out everywhere else". Both need a recent sign-in.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { formatMoment } from '../i18n/current-locale.ts';
import { t } from '../i18n/t.ts';
import type { AccountDevices, DeviceEntry } from '../oidc/account-devices.ts';
import type { Upstreams } from '../upstreams/registry.ts';
import type { AccountPageKit } from './account-page-kit.ts';

/** One entry as the page shows it. */
export interface DeviceRow {
  /** The opaque id posted back to sign it out. */
  id: string;
  name: string;
  lines: string[];
  current: boolean;
}

/** The page's words for each entry: what it is, when and how it signed in, from where. */
export function deviceRows(entries: readonly DeviceEntry[], upstreams: Upstreams): DeviceRow[] {
  return entries.map((e) => {
    const device = e.device || t('devices.unknown_device');
    const apps = e.apps.map((a) => a.name).join(', ');
    const method =
      e.method === 'password'
        ? t('devices.method_password')
        : e.method === 'passkey'
          ? t('devices.method_passkey')
          : (upstreams.get(e.method ?? '')?.name ?? t('devices.method_unknown'));
    const lines: string[] = [];
    if (e.signedInAt !== undefined) {
      lines.push(
        e.kind === 'browser'
          ? t('devices.browser_signed_in', { when: formatMoment(e.signedInAt), method })
          : t('devices.app_signed_in', { when: formatMoment(e.signedInAt) }),
      );
    }
    if (e.ip) lines.push(t('devices.from', { ip: e.ip }));
    if (e.lastActiveAt !== undefined) {
      lines.push(t('devices.last_active', { when: formatMoment(e.lastActiveAt) }));
    }
    if (e.kind === 'browser' && apps) lines.push(t('devices.apps', { apps }));
    const name = e.kind === 'app' ? t('devices.app_on', { app: apps, device }) : device;
    return { id: e.id, name, lines, current: e.current };
  });
}

export function deviceRoutes(router: Router, kit: AccountPageKit, devices: AccountDevices) {
  const done = async (ctx: Context, notice: string) => {
    await kit.page(ctx, 200, { notice });
  };

  router.post('/account/devices/others/sign-out', async (ctx) => {
    const { current } = await kit.signedInForm(ctx);
    if (!(await kit.recentOrReprompt(ctx, current, 'devices'))) return;
    const accountId = current.profile.id;
    const ended = await devices.signOutOthers(accountId, current.session.jti);
    ctx.state.log.info({ event: 'sessions.ended', accountId, ...ended }, 'signed out elsewhere');
    kit.audit.record({
      type: 'sessions.revoked',
      accountId,
      details: { scope: 'others', via: 'account_page', ...ended },
    });
    await done(ctx, t('devices.signed_out_elsewhere'));
  });

  router.post('/account/devices/:id/sign-out', async (ctx) => {
    const { current } = await kit.signedInForm(ctx);
    if (!(await kit.recentOrReprompt(ctx, current, 'devices'))) return;
    const accountId = current.profile.id;
    const id = String(ctx.params.id).slice(0, 200);
    const ended = await devices.signOut(accountId, id);
    ctx.state.log.info({ event: 'device.signed_out', accountId, ended }, 'device signed out');
    if (ended) {
      kit.audit.record({
        type: 'sessions.revoked',
        accountId,
        details: { scope: 'one', via: 'account_page' },
      });
    }
    // Signing out this very browser ends the page's own session: say so on a signed-out page.
    if (ended && !(await kit.signedIn(ctx))) {
      ctx.status = 303;
      ctx.redirect('/account/signed-out');
      return;
    }
    await done(ctx, t(ended ? 'devices.signed_out_device' : 'devices.already_gone'));
  });
}

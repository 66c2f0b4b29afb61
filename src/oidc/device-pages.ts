// The device sign-in pages oidc-provider asks for (features.deviceFlow): entering the user code,
// confirming the request (the consent, with what RFC 10027 asks to show), and the outcome.
// The library hands over forms of its own; ours are built from its xsrf secret and field names.
import type { Client, ErrorOut, KoaContextWithOIDC, UnknownObject } from 'oidc-provider';
import type { AuditLog } from '../audit/audit-log.ts';
import { deviceLabel } from '../device/device-label.ts';
import { Pages } from '../http/pages.ts';
import { requestInfo } from '../http/request-context.ts';
import type { Views } from '../http/views.ts';
import { currentLocale } from '../i18n/current-locale.ts';
import { type MessageKey, t } from '../i18n/t.ts';
import { describeScopes } from '../interactions/scope-descriptions.ts';
import type { ResourceServers } from './resource-servers.ts';

const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);

export interface DeviceFlowPages {
  userCodeInputSource(
    ctx: KoaContextWithOIDC,
    form: string,
    out?: ErrorOut,
    err?: Error,
  ): Promise<void>;
  userCodeConfirmSource(
    ctx: KoaContextWithOIDC,
    form: string,
    client: Client,
    deviceInfo: UnknownObject,
    userCode: string,
  ): Promise<void>;
  successSource(ctx: KoaContextWithOIDC): Promise<void>;
}

/** What the code page says after the library refused a code, by the library's error name. */
const REFUSALS: Readonly<Record<string, { key: MessageKey; status: number }>> = {
  NotFoundError: { key: 'device.code.wrong', status: 400 },
  ExpiredError: { key: 'device.code.expired', status: 400 },
  AlreadyUsedError: { key: 'device.code.used', status: 400 },
  NoCodeError: { key: 'device.code.missing', status: 400 },
  // The form's xsrf secret no longer matches: a newer code page (another tab) or a spent one.
  InvalidRequest: { key: 'device.code.form_expired', status: 400 },
};

/** Set on the provider's context when a typed code matched no request (the throttle keeps it). */
export const WRONG_CODE = Symbol('device.wrongCode');

/** "3 minutes ago", in the page's language. */
export function startedAgo(issuedAt: number | undefined, now = Date.now()): string {
  const format = new Intl.RelativeTimeFormat(currentLocale(), { numeric: 'auto' });
  const seconds = Math.max(0, Math.round(now / 1000 - (issuedAt ?? now / 1000)));
  if (seconds < 60) return format.format(-seconds, 'second');
  return format.format(-Math.round(seconds / 60), 'minute');
}

/** The device as a person can recognise it, from what it sent at the device authorization. */
export function describeDevice(info: UnknownObject | undefined): string {
  const { program, os } = deviceLabel(info?.ua);
  if (program && os) return t('device.label.browser_on_os', { browser: program, os });
  return program ?? os ?? t('device.label.unknown');
}

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

/** How the signed-in person is named on the confirm page (their email, else their name). */
export type WhoIs = (accountId: string) => Promise<string | undefined>;

export function deviceFlowPages(
  views: Views,
  resources: ResourceServers,
  audit: AuditLog,
  whoIs?: WhoIs,
): DeviceFlowPages {
  const { html } = new Pages(views);
  const page = (ctx: KoaContextWithOIDC, here: string) => {
    const info = requestInfo(ctx.req);
    return { nonce: info?.nonce ?? '', requestId: info?.id ?? '', here };
  };
  const xsrf = (ctx: KoaContextWithOIDC) => String(ctx.oidc.session?.state?.secret ?? '');
  const clientName = (ctx: KoaContextWithOIDC) =>
    ctx.oidc?.client?.clientName ?? ctx.oidc?.client?.clientId ?? '';

  return {
    async userCodeInputSource(ctx, _form, _out, err) {
      ctx.type = 'html';
      const log = requestInfo(ctx.req)?.log;
      if (err?.name === 'AbortedError') {
        // "This wasn't me": the code is marked access_denied; the device's next poll says so.
        const clientId = ctx.oidc?.entities?.DeviceCode?.clientId;
        log?.info(
          { event: 'device.denied', client: clientId },
          'device sign-in refused by the person',
        );
        audit.record({
          type: 'device.denied',
          accountId: ctx.oidc?.session?.accountId,
          clientId,
        });
        ctx.status = 200;
        ctx.body = html.deviceDone(page(ctx, '/device'), { outcome: 'denied', clientName: '' });
        return;
      }
      if (err?.name === 'NotFoundError') {
        (ctx.state as Record<symbol, unknown>)[WRONG_CODE] = true;
        log?.info({ event: 'device.code_wrong' }, 'user code matched no device request');
      } else if (err) {
        log?.info({ event: 'device.code_refused', reason: err.name }, 'user code refused');
      }
      const refusal = err ? REFUSALS[err.name] : undefined;
      if (err) ctx.status = refusal?.status ?? ctx.status;
      const typed =
        text((err as { userCode?: unknown } | undefined)?.userCode) ??
        text(ctx.oidc?.params?.user_code);
      const prefill = text(ctx.state.prefillUserCode) ?? '';
      ctx.body = html.deviceCode(page(ctx, '/device'), {
        xsrf: xsrf(ctx),
        // A refused code is shown again only when it was mistyped or its form had gone stale.
        userCode:
          (err?.name === 'NotFoundError' || err?.name === 'InvalidRequest'
            ? typed
            : prefill
          )?.slice(0, 32) ?? '',
        error: err ? t(refusal?.key ?? 'device.code.failed') : undefined,
      });
    },

    async userCodeConfirmSource(ctx, _form, client, deviceInfo, userCode) {
      const code = ctx.oidc.entities.DeviceCode;
      const params = (code?.params ?? {}) as Record<string, unknown>;
      const requested = (text(params.scope) ?? '').split(' ').filter(Boolean);
      const resource = text(params.resource);
      // As the grant will hold them (oidc/consent-policy.ts): OIDC scopes, then the API's.
      const oidcScopes = requested.filter((s) => OIDC_SCOPES.has(s));
      // The scopes the token will carry at the API: those this client may have there.
      const access = resource ? resources.allowedResourceScopes(client, resource) : undefined;
      const resourceScopes =
        resource && access?.allowed
          ? { [resource]: requested.filter((s) => access.scopes.includes(s)) }
          : {};
      const accountId = ctx.oidc.session?.accountId;
      ctx.type = 'html';
      ctx.body = html.deviceConfirm(
        page(ctx, `/device?user_code=${encodeURIComponent(userCode)}`),
        {
          xsrf: xsrf(ctx),
          userCode,
          clientName: client.clientName ?? client.clientId,
          clientBrand: {
            logoUri: text(client.logoUri),
            policyUri: text(client.policyUri),
            tosUri: text(client.tosUri),
          },
          clientUri: text(client.clientUri),
          scopes: describeScopes(oidcScopes, resourceScopes, resources),
          startedAgo: startedAgo(code?.iat),
          deviceLabel: describeDevice(deviceInfo),
          address: text(deviceInfo?.ip),
          account: accountId && whoIs ? await whoIs(accountId) : undefined,
        },
      );
    },

    async successSource(ctx) {
      requestInfo(ctx.req)?.log.info(
        {
          event: 'device.approved',
          client: ctx.oidc.client?.clientId,
          accountId: ctx.oidc.session?.accountId,
        },
        'device signed in',
      );
      audit.record({
        type: 'device.authorized',
        accountId: ctx.oidc.session?.accountId,
        clientId: ctx.oidc.client?.clientId,
      });
      ctx.type = 'html';
      ctx.body = html.deviceDone(page(ctx, '/device'), {
        outcome: 'allowed',
        clientName: clientName(ctx),
      });
    },
  };
}

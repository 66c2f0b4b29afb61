// "Recent security activity" on the account page: the person's latest audit events in words, each
// with when it happened and where from (the device named from its User-Agent, and the address).
import type { AuditRow } from '../audit/audit-store.ts';
import { deviceLabelText } from '../device/device-label.ts';
import { formatMoment } from '../i18n/current-locale.ts';
import { type Message, type MessageKey, t } from '../i18n/t.ts';
import type { Upstreams } from '../upstreams/registry.ts';

/** How many events the page shows. */
export const ACTIVITY_SHOWN = 20;

/** One event as the page shows it. */
export interface ActivityRow {
  /** Machine-readable time for <time datetime>. */
  at: string;
  when: string;
  what: string;
  where: string;
  failed: boolean;
}

export interface ActivityNames {
  upstreams: Upstreams;
  /** An application's name from its client id (the id itself when it has none). */
  clientName(clientId: string): Promise<string>;
}

const METHODS: Record<string, MessageKey> = {
  password: 'activity.method.password',
  passkey: 'activity.method.passkey',
  totp: 'activity.method.totp',
  recovery_code: 'activity.method.recovery_code',
  'sign-up': 'activity.method.sign_up',
  'step-up': 'activity.method.step_up',
};

const SIGNED_OUT: Record<string, MessageKey> = {
  one: 'activity.signed_out_device',
  others: 'activity.signed_out_others',
  all: 'activity.signed_out_all',
};

const detail = (row: AuditRow, key: string) => {
  const value = row.details[key];
  return typeof value === 'string' ? value : '';
};

/** The event's sentence, as a key and its parameters. */
async function describe(row: AuditRow, names: ActivityNames): Promise<Message> {
  const failed = row.outcome === 'failure';
  const method = () => {
    const id = detail(row, 'method');
    const key = METHODS[id];
    return key ? t(key) : (names.upstreams.get(id)?.name ?? t('activity.method.unknown'));
  };
  const upstream = () => {
    const id = detail(row, 'upstream');
    return names.upstreams.get(id)?.name ?? id;
  };
  const app = async () => (row.clientId ? names.clientName(row.clientId) : '');
  switch (row.type) {
    case 'sign_in':
      return {
        key: failed ? 'activity.sign_in_failed' : 'activity.sign_in',
        params: { method: method() },
      };
    case 'second_step':
      return {
        key: failed ? 'activity.second_step_failed' : 'activity.second_step',
        params: { method: method() },
      };
    case 'sign_up':
      return { key: 'activity.sign_up', params: { method: method() } };
    case 'email.confirmed':
      return { key: 'activity.email_confirmed' };
    case 'password.changed':
      if (failed) return { key: 'activity.password_change_failed' };
      return {
        key: row.details.first === true ? 'activity.password_set' : 'activity.password_changed',
      };
    case 'password.reset':
      return { key: 'activity.password_reset' };
    case 'upstream.linked':
      return { key: 'activity.upstream_linked', params: { upstream: upstream() } };
    case 'upstream.unlinked':
      return { key: 'activity.upstream_unlinked', params: { upstream: upstream() } };
    case 'passkey.added':
      return { key: 'activity.passkey_added' };
    case 'passkey.removed':
      return { key: 'activity.passkey_removed' };
    case 'totp.added':
      return { key: 'activity.totp_added' };
    case 'totp.removed':
      return { key: 'activity.totp_removed' };
    case 'recovery_codes.replaced':
      return { key: 'activity.recovery_codes_replaced' };
    case 'sessions.revoked':
      return { key: SIGNED_OUT[detail(row, 'scope')] ?? 'activity.signed_out_device' };
    case 'consent.granted':
      return { key: 'activity.consent_granted', params: { app: await app() } };
    case 'consent.denied':
      return { key: 'activity.consent_denied', params: { app: await app() } };
    case 'consent.revoked':
      return { key: 'activity.consent_revoked', params: { app: await app() } };
    case 'grant.revoked':
      return { key: 'activity.grant_revoked', params: { app: await app() } };
    case 'refresh_token.reuse_detected':
      return { key: 'activity.refresh_reuse', params: { app: await app() } };
    case 'authorization_code.reuse_detected':
      return { key: 'activity.code_reuse', params: { app: await app() } };
    case 'device.authorized':
      return { key: 'activity.device_authorized', params: { app: await app() } };
    case 'device.denied':
      return { key: 'activity.device_denied', params: { app: await app() } };
    case 'admin.account_created':
      return { key: 'activity.admin_account_created' };
    case 'admin.password_set':
      return { key: 'activity.admin_password_set' };
    default:
      return { key: 'activity.other', params: { type: row.type } };
  }
}

/** Where it came from: an operator, Latchkey itself, or a device and an address. */
function origin(row: AuditRow): string {
  if (row.actor === 'operator') return t('activity.by_operator');
  if (row.actor === 'system') return t('activity.by_system');
  const device = deviceLabelText(row.userAgent ?? undefined) || t('activity.unknown_device');
  const where = row.sourceAddress ? `${device} · ${row.sourceAddress}` : device;
  return t('activity.from', { where });
}

export async function activityRows(
  rows: readonly AuditRow[],
  names: ActivityNames,
): Promise<ActivityRow[]> {
  return Promise.all(
    rows.map(async (row) => {
      const { key, params } = await describe(row, names);
      return {
        at: row.occurredAt.toISOString(),
        when: formatMoment(row.occurredAt),
        what: t(key, params),
        where: origin(row),
        failed: row.outcome === 'failure',
      };
    }),
  );
}

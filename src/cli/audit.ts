// audit and audit:prune: reading the audit trail (an account's events, some types, since a time)
// as a table or JSON lines, and deleting events older than the retention.
import { AccountRepository, isUuid } from '../accounts/account-repository.ts';
import { AUDIT_EVENT_TYPES, isAuditEventType } from '../audit/audit-log.ts';
import { retentionCutoff } from '../audit/audit-retention.ts';
import { type AuditRow, AuditStore } from '../audit/audit-store.ts';
import { deviceLabelText } from '../device/device-label.ts';
import { type Command, CommandFailed, options, UsageError } from './command.ts';
import { withDatabase } from './database.ts';
import { recordOperatorEvent } from './operator-audit.ts';
import { formatDate, say, sayLines, table } from './output.ts';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 10_000;
const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since`: an ISO date or time, or a duration back from now (`30m`, `24h`, `7d`). */
export function parseSince(text: string, now = Date.now()): Date {
  const relative = /^(\d{1,6})([mhd])$/.exec(text);
  if (relative) return new Date(now - Number(relative[1]) * (UNITS[relative[2] as string] ?? 0));
  const at = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)
    ? Date.parse(text)
    : Number.NaN;
  if (Number.isNaN(at)) {
    throw new UsageError(
      `--since must be a date (2026-01-31), a time (2026-01-31T12:00:00Z) or a duration such as 30m, 24h or 7d (got "${text}").`,
    );
  }
  return new Date(at);
}

/** `--type`: known types, comma-separated; `admin.*` stands for every type starting with `admin.`. */
export function parseTypes(text: string): string[] {
  const types = text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const unknown = types.filter((t) =>
    t.endsWith('.*')
      ? !AUDIT_EVENT_TYPES.some((known) => known.startsWith(t.slice(0, -1)))
      : !isAuditEventType(t),
  );
  if (types.length === 0 || unknown.length > 0) {
    throw new UsageError(
      `Unknown event type ${unknown.map((t) => `"${t}"`).join(', ') || '""'}. Known types: ${AUDIT_EVENT_TYPES.join(', ')} (a prefix such as admin.* matches several).`,
    );
  }
  return types;
}

function parseLimit(text: string | undefined): number {
  if (text === undefined) return DEFAULT_LIMIT;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > MAX_LIMIT) {
    throw new UsageError(`--limit must be a whole number from 1 to ${MAX_LIMIT} (got "${text}").`);
  }
  return value;
}

function detailsText(details: Record<string, unknown>): string {
  return Object.entries(details)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join(',') : String(value)}`)
    .join(' ');
}

function rows(events: readonly AuditRow[]): string[] {
  return table(
    ['TIME', 'TYPE', 'OUTCOME', 'ACTOR', 'ACCOUNT', 'CLIENT', 'ADDRESS', 'DEVICE', 'DETAILS'],
    events.map((e) => [
      formatDate(e.occurredAt),
      e.type,
      e.outcome,
      e.actor,
      e.accountId ?? '-',
      e.clientId ?? '-',
      e.sourceAddress ?? '-',
      deviceLabelText(e.userAgent ?? undefined) || '-',
      detailsText(e.details) || '-',
    ]),
  );
}

/** One JSON object per event, the columns under their table names. */
function jsonLine(e: AuditRow): string {
  return JSON.stringify({
    id: e.id,
    occurred_at: e.occurredAt.toISOString(),
    type: e.type,
    outcome: e.outcome,
    actor: e.actor,
    account_id: e.accountId,
    client_id: e.clientId,
    source_address: e.sourceAddress,
    user_agent: e.userAgent,
    request_id: e.requestId,
    details: e.details,
  });
}

export const auditCommand: Command = {
  usage: 'audit [--account ID|EMAIL] [--type T[,T]] [--since WHEN] [--limit N] [--json]',
  summary: `security events, newest first (${DEFAULT_LIMIT} unless --limit; --since 2026-01-31, 24h or 7d)`,
  parse(args) {
    const values = options(args, {
      account: { type: 'string' },
      type: { type: 'string' },
      since: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
    });
    const types = values.type === undefined ? undefined : parseTypes(values.type);
    const since = values.since === undefined ? undefined : parseSince(values.since);
    const limit = parseLimit(values.limit);
    const account = values.account?.trim();
    if (account === '') throw new UsageError('--account needs an account id or an email.');
    return (config) =>
      withDatabase(config, async (db) => {
        let accountId: string | undefined;
        if (account !== undefined) {
          const found = isUuid(account)
            ? await new AccountRepository(db).byId(account)
            : await new AccountRepository(db).byEmail(account);
          // An id is searched for even when its account is gone: the trail outlives accounts.
          if (!found && !isUuid(account)) {
            throw new CommandFailed(`No account has the email ${account}.`);
          }
          accountId = found?.id ?? account;
        }
        const events = await new AuditStore(db).search({
          limit,
          ...(accountId === undefined ? {} : { accountId }),
          ...(types === undefined ? {} : { types }),
          ...(since === undefined ? {} : { since }),
        });
        if (values.json) {
          sayLines(events.map(jsonLine));
          return;
        }
        if (events.length === 0) say('No events.');
        else sayLines(rows(events));
      });
  },
};

export const pruneAuditCommand: Command = {
  usage: 'audit:prune [--older-than-days N]',
  summary: 'delete security events older than N days (AUDIT_RETENTION_DAYS)',
  parse(args) {
    const text = options(args, { 'older-than-days': { type: 'string' } })['older-than-days'];
    const given = text === undefined ? undefined : Number(text);
    if (text !== undefined && (!/^\d+$/.test(text) || (given ?? 0) < 1 || (given ?? 0) > 36_500)) {
      throw new UsageError(
        `--older-than-days must be a whole number of days from 1 to 36500 (got "${text}").`,
      );
    }
    return (config) =>
      withDatabase(config, async (db) => {
        const days = given ?? config.audit.retentionDays;
        const before = retentionCutoff(days);
        const deleted = await new AuditStore(db).pruneBefore(before);
        await recordOperatorEvent(db, {
          type: 'admin.audit_pruned',
          details: { older_than_days: days, deleted },
        });
        say(
          `Deleted ${deleted} event(s) older than ${days} day(s) (before ${formatDate(before)}).`,
        );
      });
  },
};

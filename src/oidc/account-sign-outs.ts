// Wires what knows where an account is signed in and tells apps when it signs out: back-channel
// logout delivery, session and grant metadata, the account index and its list of devices.

import type Provider from 'oidc-provider';
import type { AuditLog } from '../audit/audit-log.ts';
import type { RedisClient } from '../db/redis.ts';
import type { Logger } from '../logger.ts';
import { AccountDevices } from './account-devices.ts';
import { AccountSessionsIndex } from './account-sessions.ts';
import { BackchannelLogout, type BackchannelOptions } from './backchannel-logout.ts';
import { TTL } from './provider.ts';
import { recordSessionActivity } from './session-events.ts';
import { SessionMetadata } from './session-metadata.ts';

/** Activity of a session or grant is written at most this often. */
export const ACTIVITY_INTERVAL_MS = 5 * 60 * 1000;

export interface AccountSignOutsDeps {
  provider: Provider;
  redis: RedisClient;
  /** Key prefix of the provider's records, e.g. "latchkey:oidc:". */
  prefix: string;
  logger: Logger;
  /** SESSION_METADATA: record device, address, method and activity. */
  metadata: boolean;
  /** Wait before the first back-channel logout retry (tests shorten it). */
  backchannelBackoffMs?: number;
  /** Told how each back-channel logout attempt ended (metrics). */
  onBackchannelAttempt?: BackchannelOptions['onAttempt'];
  /** Where ending an account's sessions after a password change is recorded. */
  audit: AuditLog;
}

export function createAccountSignOuts(deps: AccountSignOutsDeps) {
  const { provider, redis, prefix, logger } = deps;
  const backchannel = new BackchannelLogout({
    logger,
    ...(deps.backchannelBackoffMs === undefined ? {} : { backoffMs: deps.backchannelBackoffMs }),
    ...(deps.onBackchannelAttempt ? { onAttempt: deps.onBackchannelAttempt } : {}),
  });
  backchannel.install(provider);
  const metadata = new SessionMetadata({
    redis,
    prefix,
    activityMs: ACTIVITY_INTERVAL_MS,
    fallbackTtlMs: TTL.Session * 1000,
    enabled: deps.metadata,
  });
  recordSessionActivity(provider, metadata, { prefix, logger });
  const accountSessions = new AccountSessionsIndex({
    provider,
    redis,
    prefix,
    notify: (clientId, accountId, sid) => backchannel.notify(clientId, accountId, sid),
    standalone: (grantIds) => metadata.standalone(grantIds),
  });
  const devices = new AccountDevices({ index: accountSessions, metadata, provider });
  /** A password change signs every other browser out and revokes the grants they hold. */
  const endOtherSessions = async (accountId: string, sessionId: string): Promise<void> => {
    const ended = await accountSessions.endAll(accountId, { exceptSessionId: sessionId });
    logger.info({ event: 'sessions.ended', accountId, ...ended }, 'other sessions ended');
    deps.audit.record({
      type: 'sessions.revoked',
      accountId,
      details: { scope: 'others', via: 'password_change', ...ended },
    });
  };
  return { backchannel, metadata, accountSessions, devices, endOtherSessions };
}

// Each account's sessions and grants, from the adapter's per-account indexes, and signing out
// everywhere else: what a password change or a list of devices needs (the library cannot look
// records up by account).

import type Provider from 'oidc-provider';
import type { RedisClient } from '../db/redis.ts';
import { RedisAdapter } from './redis-adapter.ts';
import { accountIndexKey, grantIndexKey, storageId } from './redis-keys.ts';

export interface AccountSession {
  /** Stable handle of the session (a hash of its cookie value, never the value itself). */
  handle: string;
  uid: string;
  /** Epoch seconds of the sign-in and of the session's expiry. */
  loginTs: number | undefined;
  expiresAt: number | undefined;
  /** Clients this session signed in to, the grant each holds and the `sid` each was told. */
  authorizations: { clientId: string; grantId: string | undefined; sid: string | undefined }[];
}

export interface AccountGrant {
  grantId: string;
  clientId: string | undefined;
  /** Epoch seconds. */
  expiresAt: number | undefined;
}

interface StoredSession {
  accountId?: string;
  uid?: string;
  loginTs?: number;
  exp?: number;
  authorizations?: Record<string, { grantId?: string; sid?: string }>;
}

export interface AccountSessionsOptions {
  provider: Provider;
  redis: RedisClient;
  /** Key prefix of the provider's records, e.g. "latchkey:oidc:". */
  prefix: string;
  /** Tells a client its session ended (back-channel logout); `sid` absent for a bare grant. */
  notify?: (clientId: string, accountId: string, sid: string | undefined) => void;
  /**
   * Grants that signed in a device of their own (device flow) although a browser session approved
   * them: they are not that session's to end, and not kept with it.
   */
  standalone?: (grantIds: readonly string[]) => Promise<Set<string>>;
}

export class AccountSessionsIndex {
  readonly #provider: Provider;
  readonly #redis: RedisClient;
  readonly #prefix: string;
  readonly #sessions: RedisAdapter;
  readonly #notify: NonNullable<AccountSessionsOptions['notify']>;
  readonly #standalone: NonNullable<AccountSessionsOptions['standalone']>;

  constructor(options: AccountSessionsOptions) {
    this.#provider = options.provider;
    this.#notify = options.notify ?? (() => {});
    this.#standalone = options.standalone ?? (async () => new Set());
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#sessions = new RedisAdapter('Session', { redis: options.redis, prefix: options.prefix });
  }

  /** Members that have not expired; lapsed ones are dropped by the adapter's next write. */
  #live(accountId: string, kind: 'sessions' | 'grants'): Promise<string[]> {
    return this.#redis.zrangebyscore(
      accountIndexKey(this.#prefix, accountId, kind),
      Date.now(),
      '+inf',
    );
  }

  /** The grants among these that stand alone (see AccountSessionsOptions.standalone). */
  standalone(grantIds: readonly (string | undefined)[]): Promise<Set<string>> {
    return this.#standalone(grantIds.filter((g): g is string => g !== undefined));
  }

  async sessions(accountId: string): Promise<AccountSession[]> {
    const found: AccountSession[] = [];
    for (const handle of await this.#live(accountId, 'sessions')) {
      const stored = (await this.#sessions.findStored(handle)) as StoredSession | undefined;
      if (stored?.accountId !== accountId) continue;
      found.push({
        handle,
        uid: stored.uid ?? '',
        loginTs: stored.loginTs,
        expiresAt: stored.exp,
        authorizations: Object.entries(stored.authorizations ?? {}).map(([clientId, a]) => ({
          clientId,
          grantId: a.grantId,
          sid: a.sid,
        })),
      });
    }
    return found;
  }

  async grants(accountId: string): Promise<AccountGrant[]> {
    const found: AccountGrant[] = [];
    for (const grantId of await this.#live(accountId, 'grants')) {
      const grant = await this.#provider.Grant.find(grantId);
      if (grant?.accountId !== accountId) continue;
      found.push({ grantId, clientId: grant.clientId, expiresAt: grant.exp });
    }
    return found;
  }

  /** True while a refresh token of the grant is live (consumed ones leave the grant's index). */
  async holdsRefreshToken(grantId: string): Promise<boolean> {
    const members = await this.#redis.zrangebyscore(
      grantIndexKey(this.#prefix, grantId),
      Date.now(),
      '+inf',
    );
    return members.some((key) => key.startsWith(`${this.#prefix}RefreshToken:`));
  }

  /** The handle of the session whose cookie value is `sessionId`. */
  handleOf(sessionId: string): string {
    return storageId(this.#prefix, 'Session', sessionId);
  }

  /**
   * Ends one session (by handle): its record goes, the grants it holds are revoked (their access
   * and refresh tokens too) and each app it signed in to hears of it by back-channel logout.
   */
  async endSession(session: AccountSession, accountId: string): Promise<number> {
    await this.#sessions.destroyStored(session.handle);
    const devices = await this.standalone(session.authorizations.map((a) => a.grantId));
    let revoked = 0;
    for (const { clientId, grantId, sid } of session.authorizations) {
      if (grantId && devices.has(grantId)) continue;
      if (grantId && (await this.revokeGrant(grantId, accountId, { notify: false }))) revoked += 1;
      this.#notify(clientId, accountId, sid);
    }
    return revoked;
  }

  /** Revokes a grant of the account as the library does: every token issued under it, then it. */
  async revokeGrant(
    grantId: string,
    accountId: string,
    options: { notify: boolean },
  ): Promise<boolean> {
    const grant = await this.#provider.Grant.find(grantId);
    if (grant?.accountId !== accountId) return false;
    await this.#provider.AccessToken.revokeByGrantId(grantId);
    await this.#provider.RefreshToken.revokeByGrantId(grantId);
    await this.#provider.AuthorizationCode.revokeByGrantId(grantId);
    await this.#provider.DeviceCode.revokeByGrantId(grantId);
    await grant.destroy();
    if (options.notify && grant.clientId) this.#notify(grant.clientId, accountId, undefined);
    return true;
  }

  /**
   * Revokes every grant the account gave one client (their access and refresh tokens too); the
   * client hears it once by back-channel logout, for every session of the account. The number
   * revoked: 0 when it held none (or another request revoked them first).
   */
  async revokeClient(accountId: string, clientId: string): Promise<number> {
    let revoked = 0;
    for (const grant of await this.grants(accountId)) {
      if (grant.clientId !== clientId) continue;
      if (await this.revokeGrant(grant.grantId, accountId, { notify: false })) revoked += 1;
    }
    if (revoked > 0) this.#notify(clientId, accountId, undefined);
    return revoked;
  }

  /**
   * Ends every session of the account and revokes every grant (its access and refresh tokens),
   * except the session `exceptSessionId` (the session cookie's value) and the grants that session
   * holds, so the browser asking stays signed in and its apps keep their tokens. Every app told
   * of an ending session or grant hears it by back-channel logout.
   */
  async endAll(
    accountId: string,
    options: { exceptSessionId?: string } = {},
  ): Promise<{ sessions: number; grants: number }> {
    const keep = options.exceptSessionId ? this.handleOf(options.exceptSessionId) : undefined;
    const sessions = await this.sessions(accountId);
    const held = sessions
      .filter((s) => s.handle === keep)
      .flatMap((s) => s.authorizations.map((a) => a.grantId));
    const devices = await this.standalone(held);
    const keptGrants = new Set(held.filter((g) => g === undefined || !devices.has(g)));
    let endedSessions = 0;
    let revoked = 0;
    for (const session of sessions) {
      if (session.handle === keep) continue;
      revoked += await this.endSession(session, accountId);
      endedSessions += 1;
    }
    for (const { grantId } of await this.grants(accountId)) {
      if (keptGrants.has(grantId)) continue;
      if (await this.revokeGrant(grantId, accountId, { notify: true })) revoked += 1;
    }
    return { sessions: endedSessions, grants: revoked };
  }
}

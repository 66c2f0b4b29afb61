// Each account's sessions and grants, from the adapter's per-account indexes, and signing out
// everywhere else: what a password change or a list of devices needs (the library cannot look
// records up by account).
import type { Redis } from 'ioredis';
import type Provider from 'oidc-provider';
import { RedisAdapter } from './redis-adapter.ts';
import { accountIndexKey, storageId } from './redis-keys.ts';

export interface AccountSession {
  /** Stable handle of the session (a hash of its cookie value, never the value itself). */
  handle: string;
  uid: string;
  /** Epoch seconds of the sign-in and of the session's expiry. */
  loginTs: number | undefined;
  expiresAt: number | undefined;
  /** Clients this session signed in to, and the grant each holds. */
  authorizations: { clientId: string; grantId: string | undefined }[];
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
  authorizations?: Record<string, { grantId?: string }>;
}

export interface AccountSessionsOptions {
  provider: Provider;
  redis: Redis;
  /** Key prefix of the provider's records, e.g. "latchkey:oidc:". */
  prefix: string;
}

export class AccountSessionsIndex {
  readonly #provider: Provider;
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #sessions: RedisAdapter;

  constructor(options: AccountSessionsOptions) {
    this.#provider = options.provider;
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

  /** The handle of the session whose cookie value is `sessionId`. */
  handleOf(sessionId: string): string {
    return storageId(this.#prefix, 'Session', sessionId);
  }

  /**
   * Ends every session of the account and revokes every grant (its access and refresh tokens),
   * except the session `exceptSessionId` (the session cookie's value) and the grants that session
   * holds, so the browser asking stays signed in and its apps keep their tokens.
   */
  async endAll(
    accountId: string,
    options: { exceptSessionId?: string } = {},
  ): Promise<{ sessions: number; grants: number }> {
    const keep = options.exceptSessionId ? this.handleOf(options.exceptSessionId) : undefined;
    const sessions = await this.sessions(accountId);
    const keptGrants = new Set(
      sessions
        .filter((s) => s.handle === keep)
        .flatMap((s) => s.authorizations.map((a) => a.grantId)),
    );
    let endedSessions = 0;
    for (const session of sessions) {
      if (session.handle === keep) continue;
      await this.#sessions.destroyStored(session.handle);
      endedSessions += 1;
    }
    let revoked = 0;
    for (const { grantId } of await this.grants(accountId)) {
      if (keptGrants.has(grantId)) continue;
      // As the library revokes a grant: every token issued under it, then the grant itself.
      await this.#provider.AccessToken.revokeByGrantId(grantId);
      await this.#provider.RefreshToken.revokeByGrantId(grantId);
      await this.#provider.AuthorizationCode.revokeByGrantId(grantId);
      await (await this.#provider.Grant.find(grantId))?.destroy();
      revoked += 1;
    }
    return { sessions: endedSessions, grants: revoked };
  }
}

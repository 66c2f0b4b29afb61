// Where a person is signed in, as the account page, the API and the operator's CLI show it: each
// browser session and each app or device holding a refresh token of its own, with what was
// recorded about it; and signing one out, or all but the current browser.
import type Provider from 'oidc-provider';
import type { AccountSessionsIndex } from './account-sessions.ts';
import type { SessionMetadata } from './session-metadata.ts';

export interface DeviceEntry {
  /** Opaque: "s." and a hash of the session cookie, or "g." and the grant's id. Never a secret. */
  id: string;
  kind: 'browser' | 'app';
  /** "Firefox · Windows 10"; "" when unknown. */
  device: string;
  /** The address at sign-in (browsers) or at the first refresh token (apps); "" when unknown. */
  ip: string;
  /** Epoch ms. */
  signedInAt: number | undefined;
  /** password, google, facebook, x (browsers only). */
  method: string | undefined;
  /** Epoch ms, updated at most once per activity interval. */
  lastActiveAt: number | undefined;
  /** Apps this browser signed in to, or the app holding the grant. */
  apps: { clientId: string; name: string }[];
  /** The browser (or the token's session) asking. */
  current: boolean;
}

/** Which session is asking: the page knows its cookie value, the API its token's session uid. */
export interface CurrentSession {
  sessionId?: string | undefined;
  sessionUid?: string | undefined;
}

export class AccountDevices {
  readonly #index: AccountSessionsIndex;
  readonly #metadata: SessionMetadata;
  readonly #provider: Provider;

  constructor(deps: {
    index: AccountSessionsIndex;
    metadata: SessionMetadata;
    provider: Provider;
  }) {
    this.#index = deps.index;
    this.#metadata = deps.metadata;
    this.#provider = deps.provider;
  }

  async #appsOf(clientIds: readonly string[]) {
    return Promise.all(
      clientIds.map(async (clientId) => {
        const client = await this.#provider.Client.find(clientId);
        return { clientId, name: client?.clientName ?? clientId };
      }),
    );
  }

  /** Browsers first (the current one on top), then apps; each group newest first. */
  async list(accountId: string, current: CurrentSession = {}): Promise<DeviceEntry[]> {
    const here = current.sessionId ? this.#index.handleOf(current.sessionId) : undefined;
    const sessions = await this.#index.sessions(accountId);
    const held = sessions.flatMap((s) => s.authorizations.map((a) => a.grantId));
    // A TV approved from this phone is a device of its own, not one of the phone's apps.
    const devices = await this.#index.standalone(held);
    const sessionGrants = new Set(held.filter((g) => g === undefined || !devices.has(g)));
    const allGrants = await this.#index.grants(accountId);
    const grantClients = new Map(allGrants.map((g) => [g.grantId, g.clientId ?? '']));
    const grants: string[] = [];
    for (const g of allGrants) {
      if (sessionGrants.has(g.grantId)) continue;
      if (await this.#index.holdsRefreshToken(g.grantId)) grants.push(g.grantId);
    }
    const sessionMeta = await this.#metadata.read(
      'Session',
      sessions.map((s) => s.handle),
    );
    const grantMeta = await this.#metadata.read('Grant', grants);
    const browsers = await Promise.all(
      sessions.map(async (s, i): Promise<DeviceEntry> => {
        const meta = sessionMeta[i];
        return {
          id: `s.${s.handle}`,
          kind: 'browser',
          device: meta?.device ?? '',
          ip: meta?.ip ?? '',
          signedInAt: meta?.since ?? (s.loginTs === undefined ? undefined : s.loginTs * 1000),
          method: meta?.method,
          lastActiveAt: meta?.seenAt,
          apps: await this.#appsOf(
            s.authorizations
              .filter((a) => a.grantId === undefined || !devices.has(a.grantId))
              .map((a) => a.clientId),
          ),
          current:
            s.handle === here || (current.sessionUid !== undefined && s.uid === current.sessionUid),
        };
      }),
    );
    const apps = await Promise.all(
      grants.map(async (grantId, i): Promise<DeviceEntry> => {
        const meta = grantMeta[i];
        return {
          id: `g.${grantId}`,
          kind: 'app',
          device: meta?.device ?? '',
          ip: meta?.ip ?? '',
          signedInAt: meta?.since,
          method: undefined,
          lastActiveAt: meta?.seenAt,
          apps: await this.#appsOf([grantClients.get(grantId) ?? '']),
          current: false,
        };
      }),
    );
    const newest = (a: DeviceEntry, b: DeviceEntry) =>
      Number(b.current) - Number(a.current) || (b.signedInAt ?? 0) - (a.signedInAt ?? 0);
    return [...browsers.sort(newest), ...apps.sort(newest)];
  }

  /**
   * Signs one entry out: a browser's session ends and the grants it holds are revoked, a bare
   * grant is revoked; every app concerned hears it by back-channel logout. False when the entry
   * is not (or no longer) one of this account's.
   */
  async signOut(accountId: string, id: string): Promise<boolean> {
    if (id.startsWith('s.')) {
      const handle = id.slice(2);
      const session = (await this.#index.sessions(accountId)).find((s) => s.handle === handle);
      if (!session) return false;
      await this.#index.endSession(session, accountId);
      return true;
    }
    if (id.startsWith('g.')) {
      return this.#index.revokeGrant(id.slice(2), accountId, { notify: true });
    }
    return false;
  }

  /** The session whose cookie value is `sessionId` and the grants it holds stay; all else ends. */
  signOutOthers(accountId: string, sessionId: string | undefined) {
    return this.#index.endAll(accountId, sessionId ? { exceptSessionId: sessionId } : {});
  }
}

// "Apps you've allowed": the consent an account remembers for each third-party app, and removing
// it, which also revokes what the app holds for the account so that it must ask again.
import type Provider from 'oidc-provider';
import type { AccountSessionsIndex } from './account-sessions.ts';
import type { ConsentStore } from './consent-store.ts';

export interface AllowedApp {
  clientId: string;
  /** The client's name, or its id when it is no longer configured. */
  name: string;
  /** OpenID scopes allowed (offline_access is never remembered). */
  scopes: string[];
  /** Resource indicator -> scopes allowed at that API. */
  resourceScopes: Record<string, string[]>;
  /** When the consent was first given. */
  allowedAt: Date;
}

export interface RemovedApp {
  /** Grants revoked with their tokens. */
  grants: number;
}

const words = (scope: string) => scope.split(' ').filter((s) => s !== '');

export class AccountApps {
  readonly #consents: ConsentStore;
  readonly #index: AccountSessionsIndex;
  readonly #provider: Provider;

  constructor(deps: { consents: ConsentStore; index: AccountSessionsIndex; provider: Provider }) {
    this.#consents = deps.consents;
    this.#index = deps.index;
    this.#provider = deps.provider;
  }

  /** Most recently allowed first. */
  async list(accountId: string): Promise<AllowedApp[]> {
    const consents = await this.#consents.list(accountId);
    return Promise.all(
      consents.map(async (c) => {
        const client = await this.#provider.Client.find(c.clientId);
        return {
          clientId: c.clientId,
          name: client?.clientName ?? c.clientId,
          scopes: words(c.scope),
          resourceScopes: Object.fromEntries(
            Object.entries(c.resourceScopes).map(([resource, scope]) => [resource, words(scope)]),
          ),
          allowedAt: c.createdAt,
        };
      }),
    );
  }

  /**
   * Forgets the consent and revokes every grant the account gave the app (its refresh and access
   * tokens too); the app hears it by back-channel logout. Undefined when the account had not
   * allowed the app (a first-party app, or a removal another request made first).
   */
  async remove(accountId: string, clientId: string): Promise<RemovedApp | undefined> {
    if (!(await this.#consents.forget(accountId, clientId))) return undefined;
    return { grants: await this.#index.revokeClient(accountId, clientId) };
  }
}

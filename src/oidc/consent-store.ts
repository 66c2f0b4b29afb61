// Consent people gave to third-party clients, kept per account so a new device does not ask again.
import { type DataSource, EntitySchema, type Repository } from 'typeorm';

export interface RememberedConsent {
  accountId: string;
  clientId: string;
  /** Space-separated OpenID scopes. */
  scope: string;
  claims: string[];
  /** Resource indicator -> space-separated scopes. */
  resourceScopes: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
}

export const ConsentEntity = new EntitySchema<RememberedConsent>({
  name: 'Consent',
  tableName: 'consents',
  columns: {
    accountId: { name: 'account_id', type: 'uuid', primary: true },
    clientId: { name: 'client_id', type: 'text', primary: true },
    scope: { type: 'text', default: '' },
    claims: { type: 'jsonb', default: () => "'[]'" },
    resourceScopes: { name: 'resource_scopes', type: 'jsonb', default: () => "'{}'" },
    createdAt: { name: 'created_at', type: 'timestamptz', createDate: true },
    updatedAt: { name: 'updated_at', type: 'timestamptz', updateDate: true },
  },
});

export interface ConsentGrant {
  scope: string;
  claims: string[];
  resourceScopes: Record<string, string>;
}

const words = (scope: string) => scope.split(' ').filter((s) => s !== '');
const union = (a: string, b: string) => [...new Set([...words(a), ...words(b)])].join(' ');

export class ConsentStore {
  readonly #repo: Repository<RememberedConsent>;

  constructor(db: DataSource) {
    this.#repo = db.getRepository(ConsentEntity);
  }

  find(accountId: string, clientId: string): Promise<RememberedConsent | null> {
    return this.#repo.findOneBy({ accountId, clientId });
  }

  list(accountId: string): Promise<RememberedConsent[]> {
    return this.#repo.find({ where: { accountId }, order: { updatedAt: 'DESC' } });
  }

  /** Adds what was just granted to what the account had already granted this client. */
  async remember(accountId: string, clientId: string, granted: ConsentGrant): Promise<void> {
    const existing = await this.find(accountId, clientId);
    const resourceScopes = { ...(existing?.resourceScopes ?? {}) };
    for (const [resource, scope] of Object.entries(granted.resourceScopes)) {
      resourceScopes[resource] = union(resourceScopes[resource] ?? '', scope);
    }
    // offline_access is never remembered: OpenID Connect asks for fresh consent each time.
    const scope = words(union(existing?.scope ?? '', granted.scope))
      .filter((s) => s !== 'offline_access')
      .join(' ');
    await this.#repo.upsert(
      {
        accountId,
        clientId,
        scope,
        claims: [...new Set([...(existing?.claims ?? []), ...granted.claims])],
        resourceScopes,
        updatedAt: new Date(),
      },
      ['accountId', 'clientId'],
    );
  }

  async forget(accountId: string, clientId: string): Promise<boolean> {
    const result = await this.#repo.delete({ accountId, clientId });
    return (result.affected ?? 0) > 0;
  }
}

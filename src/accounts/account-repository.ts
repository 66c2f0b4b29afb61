// Account rows in Postgres: the lookups and writes shared by the password and upstream use cases.
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager, Repository } from 'typeorm';
import { type Account, AccountEntity } from './account.ts';
import { normalizeEmail } from './profile-fields.ts';

const UNIQUE_VIOLATION = '23505';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs: anything else names no row, and is never sent to Postgres. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** A unique constraint refused the write (an email or an upstream identity already taken). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { driverError?: { code?: string }; code?: string } | null)?.driverError
    ?.code;
  return (
    code === UNIQUE_VIOLATION || (error as { code?: string } | null)?.code === UNIQUE_VIOLATION
  );
}

export type AccountFields = Omit<
  Account,
  'id' | 'createdAt' | 'updatedAt' | 'signUpPending' | 'mfaRequired'
> & {
  signUpPending?: boolean;
};

export class AccountRepository {
  readonly #rows: Repository<Account>;

  /** On a data source, or on a transaction's entity manager to work inside it. */
  constructor(db: DataSource | EntityManager) {
    this.#rows = db.getRepository(AccountEntity);
  }

  /** The account with this id; null for an unknown or malformed id. */
  byId(id: string): Promise<Account | null> {
    return isUuid(id) ? this.#rows.findOneBy({ id }) : Promise.resolve(null);
  }

  /**
   * Like byId, from the read replica when the data source has one (DATABASE_READ_URL), else from
   * the primary. The replica may lag: callers use it only where an older row is acceptable.
   */
  async byIdOnReplica(id: string): Promise<Account | null> {
    if (!isUuid(id)) return null;
    const runner = this.#rows.manager.connection.createQueryRunner('slave');
    try {
      return await this.#rows
        .createQueryBuilder('account', runner)
        .where('account.id = :id', { id })
        .getOne();
    } finally {
      await runner.release();
    }
  }

  /** Like byId, and locks the row until the transaction ends so concurrent changes take turns. */
  byIdForUpdate(id: string): Promise<Account | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.#rows
      .createQueryBuilder('account')
      .setLock('pessimistic_write')
      .where('account.id = :id', { id })
      .getOne();
  }

  /** The account using this email, whatever its case. */
  byEmail(email: string): Promise<Account | null> {
    return this.#rows
      .createQueryBuilder('account')
      .where('lower(account.email) = lower(:email)', { email: normalizeEmail(email) })
      .getOne();
  }

  /** Inserts a new account with a fresh id; a taken email fails as a unique violation. */
  async insert(fields: AccountFields): Promise<Account> {
    const now = new Date();
    const account: Account = {
      id: randomUUID(),
      ...fields,
      signUpPending: fields.signUpPending ?? false,
      mfaRequired: false,
      createdAt: now,
      updatedAt: now,
    };
    await this.#rows.insert(account);
    return account;
  }

  async update(id: string, changes: Partial<AccountFields>): Promise<void> {
    await this.#rows.update({ id }, changes);
  }

  /** Deletes the account; its links, identities and consents go with it (ON DELETE CASCADE). */
  async remove(id: string): Promise<void> {
    await this.#rows.delete({ id });
  }

  /** Writes the changed fields of a loaded account and returns it as saved. */
  save(account: Account): Promise<Account> {
    return this.#rows.save(account);
  }
}

// Accounts behind upstream sign-ins: identities are keyed by (provider, subject), never by email,
// and an email match with an existing account is never linked without proof of ownership.
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import {
  type Account,
  AccountEntity,
  type FederatedIdentity,
  FederatedIdentityEntity,
  type Profile,
  toProfile,
} from './account.ts';
import { isUniqueViolation, isUuid } from './account-service.ts';
import { AccountNotFound, IdentityAlreadyLinked, LastSignInMethod } from './errors.ts';
import { emailProblem, nameProblem, normalizeName, pictureProblem } from './profile-fields.ts';

/** What an upstream provider says about the person, after our trust policy was applied. */
export interface ExternalIdentity {
  provider: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  picture: string | null;
}

export type UpstreamSignIn =
  | { kind: 'signed-in'; profile: Profile; created: boolean }
  /** An account already uses this email: its owner must prove it before the identity is linked. */
  | { kind: 'link-required'; accountId: string; email: string };

export interface LinkedIdentity {
  id: string;
  provider: string;
  email: string | null;
  createdAt: Date;
  lastLoginAt: Date | null;
}

/** Upstream values we store only when they fit our own rules; anything else is dropped. */
function cleanName(name: string | null): string | null {
  if (name === null) return null;
  const normalized = normalizeName(name);
  return nameProblem(normalized) ? null : normalized;
}

function cleanPicture(picture: string | null): string | null {
  return picture !== null && !pictureProblem(picture) ? picture : null;
}

function cleanEmail(email: string | null): string | null {
  return email !== null && !emailProblem(email.trim()) ? email.trim() : null;
}

export class FederatedAccounts {
  readonly #db: DataSource;

  constructor(db: DataSource) {
    this.#db = db;
  }

  async #accountByEmail(tx: EntityManager, email: string): Promise<Account | null> {
    return tx
      .getRepository(AccountEntity)
      .createQueryBuilder('account')
      .where('lower(account.email) = lower(:email)', { email })
      .getOne();
  }

  async #insertIdentity(tx: EntityManager, accountId: string, identity: ExternalIdentity) {
    const now = new Date();
    const row: FederatedIdentity = {
      id: randomUUID(),
      accountId,
      provider: identity.provider,
      subject: identity.subject,
      email: cleanEmail(identity.email),
      emailVerified: identity.emailVerified,
      createdAt: now,
      updatedAt: now,
      lastLoginAt: now,
    };
    await tx.getRepository(FederatedIdentityEntity).insert(row);
  }

  /** Signs in with an upstream identity: finds it, creates an account for it, or asks for proof. */
  async signIn(identity: ExternalIdentity): Promise<UpstreamSignIn> {
    try {
      return await this.#db.transaction((tx) => this.#signIn(tx, identity));
    } catch (error) {
      // Two first sign-ins raced; the second finds what the first created.
      if (isUniqueViolation(error)) return this.#db.transaction((tx) => this.#signIn(tx, identity));
      throw error;
    }
  }

  async #signIn(tx: EntityManager, identity: ExternalIdentity): Promise<UpstreamSignIn> {
    const identities = tx.getRepository(FederatedIdentityEntity);
    const accounts = tx.getRepository(AccountEntity);
    const email = cleanEmail(identity.email);
    const known = await identities.findOneBy({
      provider: identity.provider,
      subject: identity.subject,
    });
    if (known) {
      const account = await accounts.findOneBy({ id: known.accountId });
      if (!account) throw new AccountNotFound();
      await identities.update(
        { id: known.id },
        { email, emailVerified: identity.emailVerified, lastLoginAt: new Date() },
      );
      // The provider's name and picture are the freshest we have.
      const name = cleanName(identity.name) ?? account.name;
      const picture = cleanPicture(identity.picture) ?? account.picture;
      if (name !== account.name || picture !== account.picture) {
        Object.assign(account, { name, picture });
        await accounts.save(account);
      }
      return { kind: 'signed-in', profile: toProfile(account), created: false };
    }

    if (email !== null) {
      const existing = await this.#accountByEmail(tx, email);
      if (existing) return { kind: 'link-required', accountId: existing.id, email };
    }

    const account = await this.#createAccount(tx, identity, email);
    return { kind: 'signed-in', profile: toProfile(account), created: true };
  }

  async #createAccount(tx: EntityManager, identity: ExternalIdentity, email: string | null) {
    const now = new Date();
    const account: Account = {
      id: randomUUID(),
      email,
      emailVerified: email !== null && identity.emailVerified,
      passwordHash: null,
      name: cleanName(identity.name),
      picture: cleanPicture(identity.picture),
      createdAt: now,
      updatedAt: now,
    };
    await tx.getRepository(AccountEntity).insert(account);
    await this.#insertIdentity(tx, account.id, identity);
    return account;
  }

  /** Links an identity to an account whose owner has just proved they own it. */
  async link(accountId: string, identity: ExternalIdentity): Promise<Profile> {
    return this.#db.transaction(async (tx) => {
      const account = await tx.getRepository(AccountEntity).findOneBy({ id: accountId });
      if (!account) throw new AccountNotFound();
      try {
        await this.#insertIdentity(tx, accountId, identity);
      } catch (error) {
        if (isUniqueViolation(error)) throw new IdentityAlreadyLinked();
        throw error;
      }
      if (!account.emailVerified && identity.emailVerified && account.email !== null) {
        // The owner proved the account and the provider verified the same address.
        const same = identity.email?.trim().toLowerCase() === account.email.toLowerCase();
        if (same) {
          account.emailVerified = true;
          await tx.getRepository(AccountEntity).save(account);
        }
      }
      return toProfile(account);
    });
  }

  /** A new account for the identity without the email another account already uses. */
  async createSeparate(identity: ExternalIdentity): Promise<Profile> {
    try {
      return await this.#db.transaction(async (tx) =>
        toProfile(await this.#createAccount(tx, identity, null)),
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw new IdentityAlreadyLinked();
      throw error;
    }
  }

  async identities(accountId: string): Promise<LinkedIdentity[]> {
    const rows = await this.#db
      .getRepository(FederatedIdentityEntity)
      .find({ where: { accountId }, order: { createdAt: 'ASC' } });
    return rows.map((r) => ({
      id: r.id,
      provider: r.provider,
      email: r.email,
      createdAt: r.createdAt,
      lastLoginAt: r.lastLoginAt,
    }));
  }

  /** Whether the account can sign in with a password. */
  async hasPassword(accountId: string): Promise<boolean> {
    const account = await this.#db.getRepository(AccountEntity).findOneBy({ id: accountId });
    return account?.passwordHash != null;
  }

  /** Removes a linked identity, unless it is the account's last way to sign in. */
  async unlink(accountId: string, identityId: string): Promise<void> {
    if (!isUuid(accountId) || !isUuid(identityId)) throw new AccountNotFound();
    await this.#db.transaction(async (tx) => {
      // Lock the account row so two concurrent unlinks cannot both pass the check.
      const account = await tx
        .getRepository(AccountEntity)
        .createQueryBuilder('account')
        .setLock('pessimistic_write')
        .where('account.id = :accountId', { accountId })
        .getOne();
      if (!account) throw new AccountNotFound();
      const identities = await tx.getRepository(FederatedIdentityEntity).findBy({ accountId });
      const target = identities.find((i) => i.id === identityId);
      if (!target) throw new AccountNotFound();
      if (account.passwordHash === null && identities.length <= 1) throw new LastSignInMethod();
      await tx.getRepository(FederatedIdentityEntity).delete({ id: identityId, accountId });
    });
  }
}

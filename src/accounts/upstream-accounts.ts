// Accounts behind upstream sign-ins: identities are keyed by (provider, subject), never by email,
// and an email match with an existing account is never linked without proof of ownership.
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { AuditLog } from '../audit/audit-log.ts';
import type { UpstreamIdentity } from '../upstreams/upstream-identity.ts';
import {
  type Account,
  type Profile,
  toProfile,
  type UpstreamLink,
  UpstreamLinkEntity,
} from './account.ts';
import { AccountRepository, isUniqueViolation, isUuid } from './account-repository.ts';
import { AccountNotFound, IdentityAlreadyLinked, LastSignInMethod } from './errors.ts';
import { emailProblem, nameProblem, normalizeName, pictureProblem } from './profile-fields.ts';

export type UpstreamSignIn =
  | { kind: 'signed-in'; profile: Profile; created: boolean }
  /** An account already uses this email: its owner must prove it before the identity is linked. */
  | { kind: 'link-required'; accountId: string; email: string };

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

export class UpstreamAccounts {
  readonly #db: DataSource;
  readonly #audit: AuditLog;
  readonly #profileChanged: (accountId: string) => void;

  /** `profileChanged` is told after every committed write to an account (profile-cache.ts). */
  constructor(
    db: DataSource,
    audit: AuditLog,
    options: { profileChanged?: (accountId: string) => void } = {},
  ) {
    this.#db = db;
    this.#audit = audit;
    this.#profileChanged = options.profileChanged ?? (() => {});
  }

  #created(profile: Profile, upstream: string): void {
    this.#audit.record({ type: 'sign_up', accountId: profile.id, details: { method: upstream } });
  }

  async #insertIdentity(tx: EntityManager, accountId: string, identity: UpstreamIdentity) {
    const now = new Date();
    const row: UpstreamLink = {
      id: randomUUID(),
      accountId,
      upstream: identity.upstream,
      subject: identity.subject,
      email: cleanEmail(identity.email),
      emailVerified: identity.emailVerified,
      username: identity.username ?? null,
      createdAt: now,
      updatedAt: now,
      lastLoginAt: now,
    };
    await tx.getRepository(UpstreamLinkEntity).insert(row);
  }

  /** Signs in with an upstream identity: finds it, creates an account for it, or asks for proof. */
  async signIn(identity: UpstreamIdentity): Promise<UpstreamSignIn> {
    let outcome: UpstreamSignIn;
    try {
      outcome = await this.#db.transaction((tx) => this.#signIn(tx, identity));
    } catch (error) {
      // Two first sign-ins raced; the second finds what the first created.
      if (!isUniqueViolation(error)) throw error;
      outcome = await this.#db.transaction((tx) => this.#signIn(tx, identity));
    }
    if (outcome.kind === 'signed-in' && outcome.created) {
      this.#created(outcome.profile, identity.upstream);
    }
    // The upstream's name and picture may have replaced ours.
    if (outcome.kind === 'signed-in') this.#profileChanged(outcome.profile.id);
    return outcome;
  }

  async #signIn(tx: EntityManager, identity: UpstreamIdentity): Promise<UpstreamSignIn> {
    const identities = tx.getRepository(UpstreamLinkEntity);
    const accounts = new AccountRepository(tx);
    const email = cleanEmail(identity.email);
    const known = await identities.findOneBy({
      upstream: identity.upstream,
      subject: identity.subject,
    });
    if (known) {
      const account = await accounts.byId(known.accountId);
      if (!account) throw new AccountNotFound();
      await identities.update(
        { id: known.id },
        {
          email,
          emailVerified: identity.emailVerified,
          username: identity.username ?? null,
          lastLoginAt: new Date(),
        },
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
      const existing = await accounts.byEmail(email);
      if (existing?.signUpPending && identity.emailVerified) {
        // A sign-up nobody confirmed, for an address the upstream has verified is this person's:
        // whoever typed that password never proved the address, so it makes way (no pre-hijacking).
        await accounts.remove(existing.id);
      } else if (existing) {
        return { kind: 'link-required', accountId: existing.id, email };
      }
    }

    const account = await this.#createAccount(tx, identity, email);
    return { kind: 'signed-in', profile: toProfile(account), created: true };
  }

  async #createAccount(
    tx: EntityManager,
    identity: UpstreamIdentity,
    email: string | null,
  ): Promise<Account> {
    const account = await new AccountRepository(tx).insert({
      email,
      emailVerified: email !== null && identity.emailVerified,
      passwordHash: null,
      name: cleanName(identity.name),
      picture: cleanPicture(identity.picture),
    });
    await this.#insertIdentity(tx, account.id, identity);
    return account;
  }

  /** Links an identity to an account whose owner has just proved they own it. */
  async link(accountId: string, identity: UpstreamIdentity): Promise<Profile> {
    const profile = await this.#db.transaction(async (tx) => {
      const accounts = new AccountRepository(tx);
      const account = await accounts.byId(accountId);
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
          await accounts.save(account);
        }
      }
      return toProfile(account);
    });
    this.#audit.record({
      type: 'upstream.linked',
      accountId,
      details: { upstream: identity.upstream },
    });
    this.#profileChanged(accountId);
    return profile;
  }

  /** A new account for the identity without the email another account already uses. */
  async createSeparate(identity: UpstreamIdentity): Promise<Profile> {
    let profile: Profile;
    try {
      profile = await this.#db.transaction(async (tx) =>
        toProfile(await this.#createAccount(tx, identity, null)),
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw new IdentityAlreadyLinked();
      throw error;
    }
    this.#created(profile, identity.upstream);
    return profile;
  }

  async identities(
    accountId: string,
  ): Promise<
    Pick<UpstreamLink, 'id' | 'upstream' | 'email' | 'username' | 'createdAt' | 'lastLoginAt'>[]
  > {
    const rows = await this.#db
      .getRepository(UpstreamLinkEntity)
      .find({ where: { accountId }, order: { createdAt: 'ASC' } });
    return rows.map((r) => ({
      id: r.id,
      upstream: r.upstream,
      email: r.email,
      username: r.username,
      createdAt: r.createdAt,
      lastLoginAt: r.lastLoginAt,
    }));
  }

  /** Whether the account can sign in with a password. */
  async hasPassword(accountId: string): Promise<boolean> {
    const account = await new AccountRepository(this.#db).byId(accountId);
    return account?.passwordHash != null;
  }

  /** Removes a linked identity, unless it is the account's last way to sign in. */
  async unlink(accountId: string, identityId: string): Promise<void> {
    if (!isUuid(accountId) || !isUuid(identityId)) throw new AccountNotFound();
    const upstream = await this.#db.transaction(async (tx) => {
      // Lock the account row so two concurrent unlinks cannot both pass the check.
      const account = await new AccountRepository(tx).byIdForUpdate(accountId);
      if (!account) throw new AccountNotFound();
      const identities = await tx.getRepository(UpstreamLinkEntity).findBy({ accountId });
      const target = identities.find((i) => i.id === identityId);
      if (!target) throw new AccountNotFound();
      const [keys]: { n: number }[] = await tx.query(
        'SELECT count(*)::int AS n FROM passkeys WHERE account_id = $1',
        [accountId],
      );
      const ways = (account.passwordHash === null ? 0 : 1) + identities.length + (keys?.n ?? 0);
      if (ways <= 1) throw new LastSignInMethod();
      await tx.getRepository(UpstreamLinkEntity).delete({ id: identityId, accountId });
      return target.upstream;
    });
    this.#audit.record({ type: 'upstream.unlinked', accountId, details: { upstream } });
  }
}

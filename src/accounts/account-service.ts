// Account use cases: sign-up, password sign-in, profile and password changes.
import type { DataSource } from 'typeorm';
import type { AuditLog } from '../audit/audit-log.ts';
import { type Account, type Profile, toProfile } from './account.ts';
import type { AccountNotices } from './account-notices.ts';
import { type AccountFields, AccountRepository, isUniqueViolation } from './account-repository.ts';
import type { EmailTokens } from './email-tokens.ts';
import {
  AccountNotFound,
  DomainError,
  EmailTaken,
  type FieldProblem,
  HashingBusy,
  InvalidCredentials,
  InvalidInput,
  problem,
  TooManyAttempts,
} from './errors.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { type PasswordHasher, passwordProblem, type Verdict } from './passwords.ts';
import {
  emailProblem,
  nameProblem,
  normalizeEmail,
  normalizeName,
  normalizePicture,
  pictureProblem,
} from './profile-fields.ts';

export interface SignUpInput {
  email: string;
  password: string;
  name: string;
  /** Where the attempt comes from (e.g. a client address), for throttling. */
  source: string;
  /** A secret of the browser signing up, so its confirmation link knows when it is opened there. */
  browser?: string;
}

export interface PasswordSignIn {
  email: string;
  password: string;
  /** Where the attempt comes from (e.g. a client address), for throttling. */
  source: string;
}

export interface NewAccount {
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  picture?: string | null;
  password?: string;
}

export interface ProfileChanges {
  name?: string;
  picture?: string | null;
}

/** An attempt that failed before it was judged: hashing was busy, or a store did not answer. */
const notJudged = (error: unknown) =>
  error instanceof HashingBusy || !(error instanceof DomainError);

/** A password refused as wrong or throttled: what the audit trail says about it. */
const refusedPassword = (error: unknown) =>
  error instanceof InvalidCredentials || error instanceof TooManyAttempts ? error.code : undefined;

export class AccountService {
  readonly #accounts: AccountRepository;
  readonly #profileChanged: (accountId: string) => void;
  readonly #hasher: PasswordHasher;
  readonly #throttle: LoginThrottle;
  readonly #tokens: EmailTokens;
  readonly #notices: AccountNotices;
  readonly #audit: AuditLog;

  constructor(deps: {
    dataSource: DataSource;
    hasher: PasswordHasher;
    throttle: LoginThrottle;
    tokens: EmailTokens;
    notices: AccountNotices;
    audit: AuditLog;
    /** Told after every write to an account (profile-cache.ts drops what it holds). */
    profileChanged?: (accountId: string) => void;
  }) {
    this.#accounts = new AccountRepository(deps.dataSource);
    this.#profileChanged = deps.profileChanged ?? (() => {});
    this.#hasher = deps.hasher;
    this.#throttle = deps.throttle;
    this.#tokens = deps.tokens;
    this.#notices = deps.notices;
    this.#audit = deps.audit;
  }

  /**
   * Sign-up that never tells whether the address already has an account: a new address gets an
   * account waiting for its confirmation link (no one can sign in to it before), an address whose
   * sign-up was never confirmed gets the new password and a new link, and an address in use gets
   * a notice to its owner instead. Each takes the same steps and time. The account waiting for
   * confirmation is returned for the log only: the answer to the person must not depend on it.
   */
  async signUp(input: SignUpInput): Promise<{ accountId: string } | undefined> {
    const email = normalizeEmail(input.email);
    const name = normalizeName(input.name);
    const problems: Record<string, FieldProblem> = {};
    const emailIssue = emailProblem(email);
    if (emailIssue) problems.email = emailIssue;
    const nameIssue = nameProblem(name);
    if (nameIssue) problems.name = nameIssue;
    const passwordIssue = passwordProblem(input.password, email, name);
    if (passwordIssue) problems.password = passwordIssue;
    if (Object.keys(problems).length > 0) throw new InvalidInput(problems);
    await this.#throttle.countSignUp(input.source);
    try {
      await this.#throttle.countMail(email);
    } catch (error) {
      await this.#throttle.signUpNotAttempted(input.source).catch(() => {});
      throw error;
    }

    let created: { accountId: string; token: string } | undefined;
    try {
      const passwordHash = await this.#hasher.hash(input.password);
      created = await this.#tokens.signUp({ email, name, passwordHash }, input.browser);
    } catch (error) {
      // Hashing busy or a store unreachable: nothing was tried, so nothing is counted.
      if (notJudged(error)) {
        await this.#throttle.signUpNotAttempted(input.source, email).catch(() => {});
      }
      throw error;
    }
    if (created) {
      // An unconfirmed sign-up of the same address takes the new name.
      this.#profileChanged(created.accountId);
      this.#notices.confirmAddress(email, created.token);
    } else this.#notices.signUpAttempted(email);
    this.#audit.record(
      created
        ? { type: 'sign_up', accountId: created.accountId, details: { method: 'password' } }
        : {
            type: 'sign_up',
            outcome: 'failure',
            attemptedEmail: email,
            details: { method: 'password', reason: 'address_in_use' },
          },
    );
    return created ? { accountId: created.accountId } : undefined;
  }

  async signInWithPassword(input: PasswordSignIn): Promise<Profile> {
    const email = normalizeEmail(input.email);
    // Who was tried, once loaded (a throttled attempt is refused before any lookup).
    const tried: { account: Account | null } = { account: null };
    try {
      const account = await this.#checkPassword(email, input.source, input.password, async () => {
        tried.account = email === '' ? null : await this.findAccountByEmail(email);
        return tried.account;
      });
      return toProfile(account);
    } catch (error) {
      const reason = refusedPassword(error);
      if (reason) {
        const { account } = tried;
        this.#audit.record({
          type: 'sign_in',
          outcome: 'failure',
          ...(account ? { accountId: account.id } : { attemptedEmail: email }),
          details: {
            method: 'password',
            reason: account?.signUpPending ? 'sign_up_not_confirmed' : reason,
          },
        });
      }
      throw error;
    }
  }

  /**
   * The one way a typed password is judged: counted by the throttle first, then compared (against
   * a dummy hash when there is no account or no password, at the same cost). Throws
   * InvalidCredentials, TooManyAttempts or HashingBusy; returns the account only when the password
   * is right. The account is loaded after counting, so refused attempts cost no query.
   */
  async #checkPassword(
    email: string,
    source: string,
    password: string,
    load: () => Promise<Account | null>,
  ): Promise<Account> {
    await this.#throttle.countPasswordCheck(email, source);
    let account: Account | null;
    let verdict: Verdict;
    try {
      account = await load();
      verdict = await this.#hasher.verify(password, account?.passwordHash ?? null);
    } catch (error) {
      // Not judged, so not counted: a full hashing queue or a store outage must lock no one out.
      if (notJudged(error)) await this.#throttle.passwordNotChecked(email, source).catch(() => {});
      throw error;
    }
    if (!account || !verdict.ok) throw new InvalidCredentials();
    if (account.signUpPending) {
      // The right password for a sign-up never confirmed: answered like a wrong one (the sign-up
      // page must not reveal which addresses were new), and the link is sent again.
      await this.#sendConfirmation(account.id, email).catch(() => {});
      throw new InvalidCredentials();
    }
    await this.#throttle.passwordAccepted(email, source);
    if (verdict.rehash) await this.#rehash(account.id, password);
    return account;
  }

  /** A new confirmation link for the account's address, within the address's mail limit. */
  async #sendConfirmation(accountId: string, email: string, browser?: string): Promise<void> {
    await this.#throttle.countMail(email);
    const token = await this.#tokens.issue('verify', accountId, email, browser);
    this.#notices.confirmAddress(email, token);
  }

  /** Replaces a hash made at an old cost or from an un-normalised password; skipped when busy. */
  async #rehash(accountId: string, password: string): Promise<void> {
    let passwordHash: string;
    try {
      passwordHash = await this.#hasher.hash(password);
    } catch (error) {
      if (error instanceof HashingBusy) return;
      throw error;
    }
    await this.#accounts.update(accountId, { passwordHash });
    this.#profileChanged(accountId);
  }

  async findProfile(id: string): Promise<Profile | undefined> {
    const account = await this.#accounts.byId(id);
    return account ? toProfile(account) : undefined;
  }

  /**
   * The profile for the claims of tokens and userinfo, from the read replica when there is one.
   * An account the replica does not have yet (signed up a moment ago) is read from the primary;
   * so is every account when the replica fails. Callers that just heard of a change to the account
   * use findProfile instead (profile-cache.ts decides).
   */
  async findProfileOnReplica(id: string): Promise<Profile | undefined> {
    const replica = await this.#accounts.byIdOnReplica(id).catch(() => null);
    const account = replica ?? (await this.#accounts.byId(id));
    return account ? toProfile(account) : undefined;
  }

  findAccountByEmail(email: string): Promise<Account | null> {
    return this.#accounts.byEmail(email);
  }

  /** Creates an account directly (administration, upstream sign-in). */
  async createAccount(input: NewAccount): Promise<Profile> {
    const problems: Record<string, FieldProblem> = {};
    const email = input.email === null ? null : normalizeEmail(input.email);
    if (email !== null) {
      const issue = emailProblem(email);
      if (issue) problems.email = issue;
    }
    const name = input.name === null ? null : normalizeName(input.name);
    if (name !== null) {
      const issue = nameProblem(name);
      if (issue) problems.name = issue;
    }
    if (input.password !== undefined) {
      const issue = passwordProblem(input.password, email ?? undefined, name ?? undefined);
      if (issue) problems.password = issue;
    }
    if (Object.keys(problems).length > 0) throw new InvalidInput(problems);
    const passwordHash =
      input.password === undefined ? null : await this.#hasher.hash(input.password);
    return this.#insert({
      email,
      emailVerified: input.emailVerified,
      name,
      picture: input.picture ?? null,
      passwordHash,
    });
  }

  async setPassword(accountId: string, password: string): Promise<void> {
    const account = await this.#accounts.byId(accountId);
    if (!account) throw new AccountNotFound();
    const issue = passwordProblem(password, account.email ?? undefined, account.name ?? undefined);
    if (issue) throw new InvalidInput({ password: issue });
    await this.#accounts.update(accountId, { passwordHash: await this.#hasher.hash(password) });
    this.#profileChanged(accountId);
    // A reset link sent before the change must not undo it.
    await this.#tokens.revoke('reset', accountId);
  }

  /**
   * Changes the password of a signed-in person: the current one must be given when there is one
   * (throttled like a sign-in); an account without one may set its first if it has an email.
   */
  async changePassword(input: {
    accountId: string;
    current: string;
    next: string;
    source: string;
  }): Promise<void> {
    const account = await this.#accounts.byId(input.accountId);
    if (!account) throw new AccountNotFound();
    if (account.email === null) {
      throw new InvalidInput({ password: problem('password.needs_email') });
    }
    // A new password that would be refused anyway spends no attempt and no bcrypt time.
    const issue = passwordProblem(input.next, account.email, account.name ?? undefined);
    if (issue) throw new InvalidInput({ password: issue });
    const first = account.passwordHash === null;
    if (!first) {
      try {
        await this.#checkPassword(account.email, input.source, input.current, async () => account);
      } catch (error) {
        const reason = refusedPassword(error);
        if (reason) {
          this.#audit.record({
            type: 'password.changed',
            outcome: 'failure',
            accountId: account.id,
            details: { reason },
          });
        }
        throw error;
      }
    }
    await this.setPassword(account.id, input.next);
    this.#audit.record({ type: 'password.changed', accountId: account.id, details: { first } });
  }

  async updateProfile(accountId: string, changes: ProfileChanges): Promise<Profile> {
    const account = await this.#accounts.byId(accountId);
    if (!account) throw new AccountNotFound();
    const problems: Record<string, FieldProblem> = {};
    const update: Partial<Account> = {};
    if (changes.name !== undefined) {
      const name = normalizeName(changes.name);
      const issue = nameProblem(name);
      if (issue) problems.name = issue;
      update.name = name;
    }
    if (changes.picture !== undefined) {
      const picture = changes.picture === null ? null : normalizePicture(changes.picture);
      const issue = picture === null ? undefined : pictureProblem(picture);
      if (issue) problems.picture = issue;
      update.picture = picture;
    }
    if (Object.keys(problems).length > 0) throw new InvalidInput(problems);
    if (Object.keys(update).length === 0) return toProfile(account);
    Object.assign(account, update);
    const saved = await this.#accounts.save(account);
    this.#profileChanged(accountId);
    return toProfile(saved);
  }

  async #insert(fields: AccountFields): Promise<Profile> {
    try {
      return toProfile(await this.#accounts.insert(fields));
    } catch (error) {
      if (isUniqueViolation(error)) throw new EmailTaken();
      throw error;
    }
  }
}

// Proving who owns an address: confirming it (after sign-up, or to change the account's address)
// and choosing a new password from a link sent to it. Every answer to a request for a link is the
// same whether or not the address has an account; only the mail differs.
import type { DataSource } from 'typeorm';
import type { AuditLog } from '../audit/audit-log.ts';
import { type Profile, toProfile } from './account.ts';
import type { AccountNotices } from './account-notices.ts';
import { AccountRepository, isUniqueViolation } from './account-repository.ts';
import type { EmailTokens } from './email-tokens.ts';
import { AccountNotFound, EmailTaken, InvalidInput, LinkInvalid, problem } from './errors.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { type PasswordHasher, passwordProblem } from './passwords.ts';
import { emailProblem, normalizeEmail } from './profile-fields.ts';

/** Where a request for a link comes from, and the asking browser's secret (see EmailTokens). */
export interface Asker {
  source: string;
  browser?: string | undefined;
}

/** A link followed: the account as it is now, and whether it was opened where it was asked for. */
export interface LinkOutcome {
  profile: Profile;
  sameBrowser: boolean;
  /** The account has no password (a passkey-only sign-up, or an upstream's account). */
  passwordless: boolean;
}

const sameAddress = (a: string | null, b: string | null) =>
  a !== null && b !== null && a.toLowerCase() === b.toLowerCase();

export class EmailOwnership {
  readonly #db: DataSource;
  readonly #accounts: AccountRepository;
  readonly #tokens: EmailTokens;
  readonly #notices: AccountNotices;
  readonly #throttle: LoginThrottle;
  readonly #hasher: PasswordHasher;
  readonly #audit: AuditLog;
  readonly #profileChanged: (accountId: string) => void;

  constructor(deps: {
    dataSource: DataSource;
    tokens: EmailTokens;
    notices: AccountNotices;
    throttle: LoginThrottle;
    hasher: PasswordHasher;
    audit: AuditLog;
    /** Told after every committed write to an account (profile-cache.ts). */
    profileChanged?: (accountId: string) => void;
  }) {
    this.#db = deps.dataSource;
    this.#profileChanged = deps.profileChanged ?? (() => {});
    this.#accounts = new AccountRepository(deps.dataSource);
    this.#tokens = deps.tokens;
    this.#notices = deps.notices;
    this.#throttle = deps.throttle;
    this.#hasher = deps.hasher;
    this.#audit = deps.audit;
  }

  /** A typed address, normalised; an impossible one is a problem with the field, nothing more. */
  #address(typed: string): string {
    const email = normalizeEmail(typed);
    const issue = emailProblem(email);
    if (issue) throw new InvalidInput({ email: issue });
    return email;
  }

  /**
   * Sends the confirmation link again to an address whose account is not confirmed yet; for any
   * other address nothing is sent. Counted per address and source either way.
   */
  async resendConfirmation(typed: string, asker: Asker): Promise<void> {
    const email = this.#address(typed);
    await this.#throttle.countMail(email, asker.source);
    const account = await this.#accounts.byEmail(email);
    if (!account?.email || account.emailVerified) return;
    const token = await this.#tokens.issue('verify', account.id, account.email, asker.browser);
    this.#notices.confirmAddress(account.email, token);
  }

  /** The signed-in person asks for a link confirming the account's current address. */
  async confirmCurrentAddress(accountId: string, browser?: string): Promise<void> {
    const account = await this.#accounts.byId(accountId);
    if (!account) throw new AccountNotFound();
    if (!account.email) throw new InvalidInput({ email: problem('email.missing') });
    if (account.emailVerified) return;
    await this.#throttle.countMail(account.email);
    const token = await this.#tokens.issue('verify', account.id, account.email, browser);
    this.#notices.confirmAddress(account.email, token);
  }

  /**
   * The signed-in person asks to use another address: a link goes to it, and the account switches
   * only when the link is followed. An address another account uses gets no mail, and the answer
   * is the same.
   */
  async requestEmailChange(accountId: string, typed: string, browser?: string): Promise<string> {
    const email = this.#address(typed);
    const account = await this.#accounts.byId(accountId);
    if (!account) throw new AccountNotFound();
    if (sameAddress(account.email, email) && account.emailVerified) {
      throw new InvalidInput({ email: problem('email.unchanged') });
    }
    await this.#throttle.countMail(email);
    const owner = await this.#accounts.byEmail(email);
    if (owner && owner.id !== account.id) return email;
    const token = await this.#tokens.issue('verify', account.id, email, browser);
    this.#notices.confirmAddress(email, token);
    return email;
  }

  /** The address a confirmation link is for, while it can still be used. */
  checkConfirmLink(token: string) {
    return this.#tokens.peek('verify', token);
  }

  /** The address a sent link would switch the account to, while that link is open. */
  pendingAddress(accountId: string, current: string | null) {
    return this.#tokens.pendingAddress(accountId, current);
  }

  /**
   * A confirmation link followed: the account's address becomes the link's, confirmed, and a
   * sign-up waiting for it is complete. When the address changed, the old one is told, and reset
   * links sent to it stop working. Throws LinkInvalid, or EmailTaken when another account took the
   * address in the meantime.
   */
  async confirmAddress(token: string, browser: string | undefined): Promise<LinkOutcome> {
    const outcome = await this.#db
      .transaction(async (tx) => {
        const link = await this.#tokens.redeem('verify', token, browser, tx);
        if (!link) throw new LinkInvalid();
        const accounts = new AccountRepository(tx);
        const account = await accounts.byIdForUpdate(link.accountId);
        if (!account) throw new LinkInvalid();
        const previous = account.email;
        Object.assign(account, { email: link.email, emailVerified: true, signUpPending: false });
        const saved = await accounts.save(account);
        const changed = previous !== null && !sameAddress(previous, link.email) ? previous : null;
        if (changed) await this.#tokens.revoke('reset', account.id, tx);
        return {
          profile: toProfile(saved),
          sameBrowser: link.sameBrowser,
          passwordless: saved.passwordHash === null,
          changed,
        };
      })
      .catch((error: unknown) => {
        if (isUniqueViolation(error)) throw new EmailTaken();
        throw error;
      });
    this.#profileChanged(outcome.profile.id);
    if (outcome.changed) this.#notices.emailChanged(outcome.changed, outcome.profile.email ?? '');
    this.#audit.record({
      type: 'email.confirmed',
      accountId: outcome.profile.id,
      details: { changed: outcome.changed !== null },
    });
    return {
      profile: outcome.profile,
      sameBrowser: outcome.sameBrowser,
      passwordless: outcome.passwordless,
    };
  }

  /**
   * "Forgot your password?": a reset link to the address when it belongs to an account that has a
   * password or a confirmed address (an account known only through an upstream, with an address
   * nobody confirmed, cannot take a first password this way). Same answer for every address.
   */
  async requestPasswordReset(typed: string, asker: Asker): Promise<void> {
    const email = this.#address(typed);
    await this.#throttle.countMail(email, asker.source);
    const account = await this.#accounts.byEmail(email);
    if (!account?.email) return;
    if (account.passwordHash === null && !account.emailVerified) return;
    const token = await this.#tokens.issue('reset', account.id, account.email, asker.browser);
    this.#notices.resetPassword(account.email, token);
  }

  /** The address a reset link is for, while it can still be used; LinkInvalid otherwise. */
  async checkResetLink(token: string): Promise<{ email: string }> {
    const link = await this.#tokens.peek('reset', token);
    if (!link) throw new LinkInvalid();
    return { email: link.email };
  }

  /**
   * A new password from a reset link, used once: the link proves the address, so it is confirmed
   * (and a waiting sign-up completed). Ending the account's sessions is the caller's part.
   */
  async resetPassword(token: string, password: string, browser?: string): Promise<LinkOutcome> {
    const link = await this.#tokens.peek('reset', token);
    const account = link && (await this.#accounts.byId(link.accountId));
    if (!link || !account) throw new LinkInvalid();
    const issue = passwordProblem(password, account.email ?? undefined, account.name ?? undefined);
    if (issue) throw new InvalidInput({ password: issue });
    const passwordHash = await this.#hasher.hash(password);
    const outcome = await this.#db.transaction(async (tx) => {
      const used = await this.#tokens.redeem('reset', token, browser, tx);
      const accounts = new AccountRepository(tx);
      const current = used && (await accounts.byIdForUpdate(used.accountId));
      // The account's address changed since the link was sent: it no longer proves anything.
      if (!used || !current || !sameAddress(current.email, used.email)) throw new LinkInvalid();
      Object.assign(current, { passwordHash, emailVerified: true, signUpPending: false });
      const saved = await accounts.save(current);
      await this.#tokens.revoke('reset', current.id, tx);
      return { profile: toProfile(saved), sameBrowser: used.sameBrowser, passwordless: false };
    });
    this.#audit.record({ type: 'password.reset', accountId: outcome.profile.id });
    this.#profileChanged(outcome.profile.id);
    return outcome;
  }
}

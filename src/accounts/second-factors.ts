// Two-step sign-in for an account: a TOTP secret (RFC 6238, six digits every 30 seconds, sealed at
// rest), ten single-use recovery codes and the browsers allowed to skip the step for 30 days (both
// stored as hashes only), and the account's own "always ask" choice.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { generateSecret, generateURI, verifySync } from 'otplib';
import type { DataSource, EntityManager } from 'typeorm';
import type { AuditLog } from '../audit/audit-log.ts';
import type { KeyRing } from '../keys/key-encryption.ts';
import { TOTP_SECRETS } from '../keys/stored-secrets.ts';
import { isUuid } from './account-repository.ts';
import { DomainError, InvalidCode, NoSecondFactor, SecondFactorExists } from './errors.ts';
import type { LoginThrottle } from './login-throttle.ts';

export const RECOVERY_CODE_COUNT = 10;
export const TOTP_PERIOD_SECONDS = 30;
/** How long "remember this browser" lasts. */
export const REMEMBER_BROWSER_DAYS = 30;

// Recovery codes: 12 characters of an alphabet without look-alikes (60 bits), shown as 4-4-4.
const ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ0123456789';
const TOTP_CODE = /^\d{6}$/;
const BROWSER_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** What a second step proved: a code from the authenticator app, or a recovery code. */
export type CodeKind = 'totp' | 'recovery';

export interface TwoStepStatus {
  /** TOTP confirmed and in use, and since when. */
  totpSince: Date | null;
  /** An enrolment started and waiting for its first code. */
  enrolling: boolean;
  recoveryCodesLeft: number;
  /** The account asks for a second step at every sign-in, remembered browser or not. */
  alwaysAsk: boolean;
  rememberedBrowsers: { id: string; label: string; createdAt: Date; expiresAt: Date }[];
}

/** A new secret to show as a QR code and as text, and the otpauth URI the code carries. */
export interface Enrolment {
  secret: string;
  uri: string;
}

/** Removes spaces and hyphens, upper-cases: how a recovery code is typed is not judged. */
export function normalizeRecoveryCode(typed: string): string {
  return typed.replace(/[\s-]/g, '').toUpperCase();
}

function newRecoveryCode(): string {
  const bytes = randomBytes(12);
  const chars = [...bytes].map((b) => ALPHABET[b % ALPHABET.length]).join('');
  return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`;
}

// Salted with the account, so equal codes of two accounts never share a hash.
const codeHash = (accountId: string, code: string) =>
  createHash('sha256')
    .update(`${accountId}:${normalizeRecoveryCode(code)}`)
    .digest();

const tokenHash = (token: string) => createHash('sha256').update(token).digest();

/** A store failure, not a judged code: the throttle gives the attempt back. */
const notJudged = (error: unknown) => !(error instanceof DomainError);

export class SecondFactors {
  readonly #db: DataSource;
  readonly #ring: KeyRing;
  readonly #throttle: LoginThrottle;
  /** The name authenticator apps show beside the account (the product's name). */
  readonly #issuerLabel: string;
  readonly #now: () => number;
  readonly #audit: AuditLog;
  readonly #profileChanged: (accountId: string) => void;

  constructor(deps: {
    dataSource: DataSource;
    ring: KeyRing;
    throttle: LoginThrottle;
    issuerLabel: string;
    audit: AuditLog;
    /** Told after "always ask for a second step" changed (the profile cache holds it). */
    profileChanged?: (accountId: string) => void;
    /** Milliseconds since the epoch (tests move the clock). */
    now?: () => number;
  }) {
    this.#db = deps.dataSource;
    this.#ring = deps.ring;
    this.#throttle = deps.throttle;
    this.#issuerLabel = deps.issuerLabel;
    this.#now = deps.now ?? Date.now;
    this.#audit = deps.audit;
    this.#profileChanged = deps.profileChanged ?? (() => {});
  }

  async status(accountId: string): Promise<TwoStepStatus> {
    const [factor] = await this.#db.query(
      'SELECT confirmed_at FROM totp_factors WHERE account_id = $1',
      [accountId],
    );
    const [codes] = await this.#db.query(
      'SELECT count(*) AS n FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL',
      [accountId],
    );
    const browsers: { id: string; label: string; created_at: Date; expires_at: Date }[] =
      await this.#db.query(
        `SELECT id, label, created_at, expires_at FROM remembered_browsers
         WHERE account_id = $1 AND expires_at > now() ORDER BY created_at DESC`,
        [accountId],
      );
    return {
      totpSince: factor?.confirmed_at ?? null,
      enrolling: factor !== undefined && factor.confirmed_at === null,
      recoveryCodesLeft: Number(codes?.n ?? 0),
      alwaysAsk: await this.alwaysAsks(accountId),
      rememberedBrowsers: browsers.map((b) => ({
        id: b.id,
        label: b.label,
        createdAt: b.created_at,
        expiresAt: b.expires_at,
      })),
    };
  }

  /** Whether the account has a confirmed second factor. */
  async hasSecondFactor(accountId: string): Promise<boolean> {
    if (!isUuid(accountId)) return false;
    const rows = await this.#db.query(
      'SELECT 1 FROM totp_factors WHERE account_id = $1 AND confirmed_at IS NOT NULL',
      [accountId],
    );
    return rows.length > 0;
  }

  async alwaysAsks(accountId: string): Promise<boolean> {
    if (!isUuid(accountId)) return false;
    const [row] = await this.#db.query('SELECT mfa_required FROM accounts WHERE id = $1', [
      accountId,
    ]);
    return row?.mfa_required === true;
  }

  /** The account's "always ask for a second step"; turning it on needs a second factor. */
  async setAlwaysAsk(accountId: string, on: boolean): Promise<void> {
    if (on && !(await this.hasSecondFactor(accountId))) throw new NoSecondFactor();
    await this.#db.query('UPDATE accounts SET mfa_required = $2 WHERE id = $1', [accountId, on]);
    this.#profileChanged(accountId);
  }

  /**
   * Starts (or restarts) an enrolment: a new secret waits, sealed, for its first code. Refused
   * while a confirmed one exists, which only removal may replace.
   */
  async startTotp(accountId: string, label: string): Promise<Enrolment> {
    const secret = generateSecret();
    await this.#db.transaction(async (tx) => {
      const [existing] = await tx.query(
        'SELECT confirmed_at FROM totp_factors WHERE account_id = $1 FOR UPDATE',
        [accountId],
      );
      if (existing?.confirmed_at) throw new SecondFactorExists();
      const sealed = this.#ring.protect(secret, TOTP_SECRETS.context(accountId));
      await tx.query(
        `INSERT INTO totp_factors (account_id, secret, sealed_secret, kek_id)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (account_id) DO UPDATE SET secret = $2, sealed_secret = $3, kek_id = $4,
           created_at = now(), last_step = 0`,
        [
          accountId,
          sealed.plain === null ? null : JSON.stringify(sealed.plain),
          sealed.sealed,
          sealed.kekId,
        ],
      );
    });
    return { secret, uri: this.#uri(secret, label) };
  }

  /** The enrolment waiting for its first code, to show again (a reload of the page). */
  async pendingEnrolment(accountId: string, label: string): Promise<Enrolment | undefined> {
    const factor = await this.#factor(this.#db.manager, accountId, false);
    return factor && !factor.confirmed
      ? { secret: factor.secret, uri: this.#uri(factor.secret, label) }
      : undefined;
  }

  /** Drops an enrolment that was never confirmed. */
  async cancelEnrolment(accountId: string): Promise<void> {
    await this.#db.query(
      'DELETE FROM totp_factors WHERE account_id = $1 AND confirmed_at IS NULL',
      [accountId],
    );
  }

  /**
   * The first code from the person's app turns the enrolment on; the ten recovery codes are
   * returned once, to be shown once (only their hashes are kept).
   */
  async confirmTotp(accountId: string, code: string, source: string): Promise<string[]> {
    const codes = await this.#judged(accountId, source, async () => {
      return this.#db.transaction(async (tx) => {
        const factor = await this.#factor(tx, accountId, true);
        if (!factor || factor.confirmed) throw new NoSecondFactor();
        const step = this.#matchingStep(factor.secret, code);
        if (step === undefined) throw new InvalidCode();
        await tx.query(
          'UPDATE totp_factors SET confirmed_at = now(), last_step = $2 WHERE account_id = $1',
          [accountId, step],
        );
        return this.#replaceRecoveryCodes(tx, accountId);
      });
    });
    this.#audit.record({ type: 'totp.added', accountId });
    return codes;
  }

  /**
   * Judges a second-step code: six digits against the TOTP secret (one step either side of now,
   * each step accepted once), anything else as a recovery code (each usable once). Counted by the
   * throttle before it is looked at. Throws InvalidCode or TooManyAttempts.
   */
  async verify(accountId: string, typed: string, source: string): Promise<CodeKind> {
    const code = typed.trim().replace(/\s/g, '');
    const method = TOTP_CODE.test(code) ? 'totp' : 'recovery_code';
    try {
      const kind = await this.#check(accountId, code, source);
      this.#audit.record({ type: 'second_step', accountId, details: { method } });
      return kind;
    } catch (error) {
      if (error instanceof DomainError) {
        this.#audit.record({
          type: 'second_step',
          outcome: 'failure',
          accountId,
          details: { method, reason: error.code },
        });
      }
      throw error;
    }
  }

  #check(accountId: string, code: string, source: string): Promise<CodeKind> {
    return this.#judged(accountId, source, async () => {
      if (TOTP_CODE.test(code)) {
        const factor = await this.#factor(this.#db.manager, accountId, false);
        if (!factor?.confirmed) throw new InvalidCode();
        const step = this.#matchingStep(factor.secret, code);
        if (step === undefined) throw new InvalidCode();
        // Only a newer step than the last accepted one: one UPDATE, so racing requests with the
        // same code see it accepted once between them.
        const [, updated] = await this.#db.query(
          `UPDATE totp_factors SET last_step = $2
           WHERE account_id = $1 AND confirmed_at IS NOT NULL AND last_step < $2`,
          [accountId, step],
        );
        if (updated !== 1) throw new InvalidCode();
        return 'totp';
      }
      const normalized = normalizeRecoveryCode(code);
      if (normalized.length !== 12 || !isUuid(accountId)) throw new InvalidCode();
      const [, used] = await this.#db.query(
        `UPDATE recovery_codes SET used_at = now()
         WHERE account_id = $1 AND code_hash = $2 AND used_at IS NULL`,
        [accountId, codeHash(accountId, normalized)],
      );
      if (used !== 1) throw new InvalidCode();
      return 'recovery';
    });
  }

  /** Ten new recovery codes; the old ones stop working. Needs two-step sign-in on. */
  async regenerateRecoveryCodes(accountId: string): Promise<string[]> {
    const codes = await this.#db.transaction(async (tx) => {
      const factor = await this.#factor(tx, accountId, true);
      if (!factor?.confirmed) throw new NoSecondFactor();
      return this.#replaceRecoveryCodes(tx, accountId);
    });
    this.#audit.record({ type: 'recovery_codes.replaced', accountId });
    return codes;
  }

  /** Turns two-step sign-in off: the secret, the recovery codes and remembered browsers go. */
  async removeTotp(accountId: string): Promise<void> {
    const removed = await this.#db.transaction(async (tx) => {
      const [, factors] = (await tx.query('DELETE FROM totp_factors WHERE account_id = $1', [
        accountId,
      ])) as [unknown, number];
      await tx.query('DELETE FROM recovery_codes WHERE account_id = $1', [accountId]);
      await tx.query('DELETE FROM remembered_browsers WHERE account_id = $1', [accountId]);
      await tx.query('UPDATE accounts SET mfa_required = false WHERE id = $1', [accountId]);
      return factors > 0;
    });
    this.#profileChanged(accountId);
    if (removed) this.#audit.record({ type: 'totp.removed', accountId });
  }

  /** A new browser token (kept by the browser; only its hash is stored) good for 30 days. */
  async rememberBrowser(
    accountId: string,
    label: string,
  ): Promise<{ token: string; maxAgeMs: number }> {
    const token = randomBytes(32).toString('base64url');
    const maxAgeMs = REMEMBER_BROWSER_DAYS * 24 * 60 * 60 * 1000;
    await this.#db.query(
      `INSERT INTO remembered_browsers (id, account_id, token_hash, label, expires_at)
       VALUES ($1, $2, $3, $4, $5)`,
      [
        randomUUID(),
        accountId,
        tokenHash(token),
        label.slice(0, 100),
        new Date(this.#now() + maxAgeMs),
      ],
    );
    return { token, maxAgeMs };
  }

  /** Whether this browser's token lets the account skip the second step. */
  async isRemembered(accountId: string, token: string | undefined): Promise<boolean> {
    if (!token || !BROWSER_TOKEN.test(token) || !isUuid(accountId)) return false;
    const rows = await this.#db.query(
      `SELECT 1 FROM remembered_browsers
       WHERE account_id = $1 AND token_hash = $2 AND expires_at > $3`,
      [accountId, tokenHash(token), new Date(this.#now())],
    );
    return rows.length > 0;
  }

  /** Forgets one remembered browser (`id`), or all of them. */
  async forgetBrowsers(accountId: string, id?: string): Promise<void> {
    if (id !== undefined) {
      if (!isUuid(id)) return;
      await this.#db.query('DELETE FROM remembered_browsers WHERE account_id = $1 AND id = $2', [
        accountId,
        id,
      ]);
      return;
    }
    await this.#db.query('DELETE FROM remembered_browsers WHERE account_id = $1', [accountId]);
  }

  #uri(secret: string, label: string): string {
    return generateURI({ issuer: this.#issuerLabel, label, secret, period: TOTP_PERIOD_SECONDS });
  }

  /** The time step `code` belongs to, within one step of now; undefined when none matches. */
  #matchingStep(secret: string, code: string): number | undefined {
    if (!TOTP_CODE.test(code)) return undefined;
    const result = verifySync({
      secret,
      token: code,
      period: TOTP_PERIOD_SECONDS,
      epoch: Math.floor(this.#now() / 1000),
      epochTolerance: TOTP_PERIOD_SECONDS,
    });
    return result.valid && 'timeStep' in result ? result.timeStep : undefined;
  }

  async #factor(db: EntityManager, accountId: string, lock: boolean) {
    if (!isUuid(accountId)) return undefined;
    const [row] = await db.query(
      `SELECT secret, sealed_secret, kek_id, confirmed_at FROM totp_factors WHERE account_id = $1
       ${lock ? 'FOR UPDATE' : ''}`,
      [accountId],
    );
    if (!row) return undefined;
    const secret = this.#ring.reveal(
      { plain: row.secret, sealed: row.sealed_secret, kekId: row.kek_id },
      TOTP_SECRETS.context(accountId),
      TOTP_SECRETS.label(accountId),
    );
    return { secret: String(secret), confirmed: row.confirmed_at !== null };
  }

  async #replaceRecoveryCodes(tx: EntityManager, accountId: string): Promise<string[]> {
    await tx.query('DELETE FROM recovery_codes WHERE account_id = $1', [accountId]);
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    for (const code of codes) {
      await tx.query('INSERT INTO recovery_codes (id, account_id, code_hash) VALUES ($1, $2, $3)', [
        randomUUID(),
        accountId,
        codeHash(accountId, code),
      ]);
    }
    return codes;
  }

  /** Counts the attempt first; a right code clears the count, a store failure gives it back. */
  async #judged<T>(accountId: string, source: string, check: () => Promise<T>): Promise<T> {
    await this.#throttle.countCodeCheck(accountId, source);
    let result: T;
    try {
      result = await check();
    } catch (error) {
      if (notJudged(error)) await this.#throttle.codeNotChecked(accountId, source).catch(() => {});
      throw error;
    }
    await this.#throttle.codeAccepted(accountId, source);
    return result;
  }
}

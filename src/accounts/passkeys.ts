// Passkeys (WebAuthn, checked by @simplewebauthn/server): registering one on the account page or
// at sign-up, signing in with one, and managing them. Every ceremony's challenge is single-use,
// short-lived and bound to the page or session that asked for it (passkey-challenges.ts); user
// verification is required; the signature counter must move forward and the backup-eligibility
// flag must not change.
import { randomBytes, randomUUID } from 'node:crypto';
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { isoBase64URL } from '@simplewebauthn/server/helpers';
import type { DataSource, EntityManager } from 'typeorm';
import type { AuditLog } from '../audit/audit-log.ts';
import { type Profile, toProfile } from './account.ts';
import type { AccountNotices } from './account-notices.ts';
import { AccountRepository, isUniqueViolation, isUuid } from './account-repository.ts';
import type { EmailTokens } from './email-tokens.ts';
import {
  AccountNotFound,
  DomainError,
  type FieldProblem,
  InvalidInput,
  LastSignInMethod,
  PasskeyAlreadyAdded,
  PasskeyChallengeInvalid,
  PasskeyCounterRegressed,
  PasskeyRefused,
  PasskeyUnknown,
  problem,
  SignUpNotConfirmed,
} from './errors.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { ChallengeFor, PasskeyChallenges } from './passkey-challenges.ts';
import { emailProblem, nameProblem, normalizeEmail, normalizeName } from './profile-fields.ts';

/** Who the passkeys are for: the RP ID (the issuer's host) and the origin ceremonies run on. */
export interface RelyingParty {
  id: string;
  origin: string;
  name: string;
}

/** A passkey as the account page lists it. */
export interface PasskeySummary {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  /** Backup eligible: the passkey may be synced to the person's other devices. */
  synced: boolean;
}

/** A verified assertion: whose passkey, which one, and the RFC 8176 methods it proves. */
export interface PasskeyAssertion {
  profile: Profile;
  passkeyId: string;
  amr: string[];
}

export const MAX_PASSKEY_NAME = 64;

/** ES256, EdDSA, RS256: what platform authenticators and security keys use. */
const ALGORITHMS = [-7, -8, -257];

/** Longest answer we parse: a registration with attestation 'none' is well under this. */
const MAX_RESPONSE = 12 * 1024;

interface Row {
  id: string;
  account_id: string;
  credential_id: string;
  public_key: Buffer;
  user_handle: string;
  counter: string;
  transports: string[];
  backup_eligible: boolean;
}

/** RFC 8176 methods of a passkey assertion: hwk or swk, user presence, and mfa when verified. */
export function passkeyAmr(backupEligible: boolean, userVerified: boolean): string[] {
  return [backupEligible ? 'swk' : 'hwk', 'user', ...(userVerified ? ['mfa'] : [])];
}

function passkeyNameProblem(name: string): FieldProblem | undefined {
  const issue = nameProblem(name);
  if (issue?.code === 'name.missing') return problem('passkey_name.missing');
  if (issue?.code === 'name.control') return problem('passkey_name.control');
  if ([...name].length > MAX_PASSKEY_NAME) {
    return problem('passkey_name.too_long', { max: MAX_PASSKEY_NAME });
  }
  return undefined;
}

/** The answer the browser posted, parsed and shaped like a credential; refused otherwise. */
function parseCredential(text: string): { json: Record<string, unknown>; challenge: string } {
  if (text.length === 0 || text.length > MAX_RESPONSE) throw new PasskeyRefused('no answer');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PasskeyRefused('answer is not JSON');
  }
  const credential = json as {
    id?: unknown;
    rawId?: unknown;
    type?: unknown;
    response?: { clientDataJSON?: unknown };
  } | null;
  if (
    typeof credential !== 'object' ||
    credential === null ||
    typeof credential.id !== 'string' ||
    typeof credential.rawId !== 'string' ||
    credential.type !== 'public-key' ||
    typeof credential.response !== 'object' ||
    credential.response === null ||
    typeof credential.response.clientDataJSON !== 'string' ||
    !isoBase64URL.isBase64URL(credential.response.clientDataJSON)
  ) {
    throw new PasskeyRefused('answer is not a credential');
  }
  let challenge: unknown;
  try {
    const clientData = JSON.parse(
      isoBase64URL.toUTF8String(credential.response.clientDataJSON),
    ) as { challenge?: unknown };
    challenge = clientData.challenge;
  } catch {
    throw new PasskeyRefused('clientDataJSON is not JSON');
  }
  if (typeof challenge !== 'string') throw new PasskeyRefused('no challenge');
  return { json: credential as Record<string, unknown>, challenge };
}

/** The library's reason for a refusal, for the log; anything else is ours and goes up. */
function refusal(error: unknown): never {
  if (error instanceof DomainError) throw error;
  throw new PasskeyRefused(error instanceof Error ? error.message.slice(0, 200) : 'unverifiable');
}

export class Passkeys {
  readonly #db: DataSource;
  readonly #challenges: PasskeyChallenges;
  readonly #rp: RelyingParty;
  readonly #tokens: EmailTokens;
  readonly #notices: AccountNotices;
  readonly #throttle: LoginThrottle;
  readonly #audit: AuditLog;

  constructor(deps: {
    dataSource: DataSource;
    challenges: PasskeyChallenges;
    rp: RelyingParty;
    tokens: EmailTokens;
    notices: AccountNotices;
    throttle: LoginThrottle;
    audit: AuditLog;
  }) {
    this.#db = deps.dataSource;
    this.#challenges = deps.challenges;
    this.#rp = deps.rp;
    this.#tokens = deps.tokens;
    this.#notices = deps.notices;
    this.#throttle = deps.throttle;
    this.#audit = deps.audit;
  }

  get relyingParty(): RelyingParty {
    return this.#rp;
  }

  /** Takes the challenge the answer signed; it must have been issued for `expected`. */
  async #challenge<P extends ChallengeFor['purpose']>(
    challenge: string,
    purpose: P,
    bound: string,
  ): Promise<Extract<ChallengeFor, { purpose: P }>> {
    const issued = await this.#challenges.take(challenge);
    if (!issued || issued.purpose !== purpose || issued.bound !== bound) {
      throw new PasskeyChallengeInvalid();
    }
    return issued as Extract<ChallengeFor, { purpose: P }>;
  }

  // --- Signing in -------------------------------------------------------------------------

  /**
   * Options for navigator.credentials.get: no credentials listed (the person picks a passkey,
   * or the browser offers them in the email field's autofill), user verification required.
   * `accountId` narrows it to that account's passkeys (a passkey as a second step).
   */
  async authenticationOptions(
    bound: string,
    accountId?: string,
  ): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const allow = accountId ? await this.#rows(accountId) : [];
    const options = await generateAuthenticationOptions({
      rpID: this.#rp.id,
      userVerification: 'required',
      timeout: this.#challenges.lifetimeMs,
      allowCredentials: allow.map((r) => ({ id: r.credential_id, transports: r.transports })),
    });
    await this.#challenges.remember(
      options.challenge,
      accountId ? { purpose: 'assert', bound, accountId } : { purpose: 'sign-in', bound },
    );
    return options;
  }

  /**
   * Signs in with a passkey: the answer to a challenge issued for `bound` by
   * authenticationOptions, from a registered passkey of a confirmed account, verified by the
   * person (UV), with a counter that moved forward. Returns the account and its amr.
   */
  signIn(bound: string, answer: string): Promise<PasskeyAssertion> {
    return this.verifyAssertion(bound, answer);
  }

  /**
   * Verifies a passkey assertion answering a challenge from authenticationOptions(bound,
   * accountId). With `accountId`, the passkey must be that account's (a second factor).
   */
  async verifyAssertion(
    bound: string,
    answer: string,
    accountId?: string,
  ): Promise<PasskeyAssertion> {
    // The account whose passkey answered, once known: a refusal is recorded against it.
    const answered: { accountId?: string } = {};
    try {
      const assertion = await this.#verifyAssertion(bound, answer, accountId, answered);
      // As a first step the completed sign-in is recorded where it completes (it may need more).
      if (accountId) {
        this.#audit.record({ type: 'second_step', accountId, details: { method: 'passkey' } });
      }
      return assertion;
    } catch (error) {
      if (error instanceof DomainError) {
        this.#audit.record({
          type: accountId ? 'second_step' : 'sign_in',
          outcome: 'failure',
          accountId: accountId ?? answered.accountId,
          details: { method: 'passkey', reason: error.code },
        });
      }
      throw error;
    }
  }

  async #verifyAssertion(
    bound: string,
    answer: string,
    accountId: string | undefined,
    answered: { accountId?: string },
  ): Promise<PasskeyAssertion> {
    const { json, challenge } = parseCredential(answer);
    const issued = accountId
      ? await this.#challenge(challenge, 'assert', bound)
      : await this.#challenge(challenge, 'sign-in', bound);
    if (issued.purpose === 'assert' && issued.accountId !== accountId) {
      throw new PasskeyChallengeInvalid();
    }
    const response = json as unknown as AuthenticationResponseJSON;
    const rows: Row[] = await this.#db.query(
      `SELECT id, account_id, credential_id, public_key, user_handle, counter, transports,
              backup_eligible
         FROM passkeys WHERE credential_id = $1`,
      [response.id],
    );
    const row = rows[0];
    if (!row || (accountId !== undefined && row.account_id !== accountId)) {
      throw new PasskeyUnknown();
    }
    const userHandle = response.response?.userHandle;
    if (userHandle && userHandle !== row.user_handle) throw new PasskeyUnknown();
    answered.accountId = row.account_id;

    const stored = Number(row.counter);
    const verified = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: this.#rp.origin,
      expectedRPID: this.#rp.id,
      // The counter is checked below, after the signature: only a genuine signature with a
      // counter that went backwards is the sign of a cloned authenticator worth a warning.
      credential: {
        id: row.credential_id,
        publicKey: new Uint8Array(row.public_key),
        counter: 0,
        transports: row.transports,
      },
      requireUserVerification: true,
    }).catch(refusal);
    if (!verified.verified) throw new PasskeyRefused('signature does not verify');
    const info = verified.authenticationInfo;
    const backupEligible = info.credentialDeviceType === 'multiDevice';
    if (backupEligible !== row.backup_eligible) {
      throw new PasskeyRefused('backup eligibility changed');
    }

    const account = await new AccountRepository(this.#db).byId(row.account_id);
    if (!account) throw new PasskeyUnknown();
    // Forward only, in one statement: two assertions racing with the same counter cannot both
    // pass. A counter of zero on both sides means the authenticator keeps none (synced passkeys).
    const [updated] = (await this.#db.query(
      `UPDATE passkeys SET counter = $2, backed_up = $3, last_used_at = now()
        WHERE id = $1 AND ((counter = 0 AND $2::bigint = 0) OR counter < $2::bigint)
        RETURNING id`,
      [row.id, info.newCounter, info.credentialBackedUp],
    )) as [{ id: string }[], number];
    if (updated.length === 0) {
      throw new PasskeyCounterRegressed(account.id, row.id, stored, info.newCounter);
    }
    if (account.signUpPending) {
      // Its owner has not followed the confirmation link yet: send it again, sign no one in.
      if (account.email) await this.#sendConfirmation(account.id, account.email).catch(() => {});
      throw new SignUpNotConfirmed();
    }
    return {
      profile: toProfile(account),
      passkeyId: row.id,
      amr: passkeyAmr(backupEligible, info.userVerified),
    };
  }

  async #sendConfirmation(accountId: string, email: string): Promise<void> {
    await this.#throttle.countMail(email);
    const token = await this.#tokens.issue('verify', accountId, email);
    this.#notices.confirmAddress(email, token);
  }

  // --- Registering ------------------------------------------------------------------------

  async #registrationOptions(
    user: { name: string; displayName: string; handle: string },
    exclude: Row[],
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return generateRegistrationOptions({
      rpName: this.#rp.name,
      rpID: this.#rp.id,
      userName: user.name,
      userDisplayName: user.displayName,
      userID: isoBase64URL.toBuffer(user.handle),
      timeout: this.#challenges.lifetimeMs,
      attestationType: 'none',
      excludeCredentials: exclude.map((r) => ({ id: r.credential_id, transports: r.transports })),
      // A discoverable credential (a passkey) that verifies the person.
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      supportedAlgorithmIDs: ALGORITHMS,
    });
  }

  /** Verifies a registration answering `challenge`; the new credential as it will be stored. */
  async #verifyRegistration(json: Record<string, unknown>, challenge: string) {
    const verified = await verifyRegistrationResponse({
      response: json as unknown as RegistrationResponseJSON,
      expectedChallenge: challenge,
      expectedOrigin: this.#rp.origin,
      expectedRPID: this.#rp.id,
      requireUserVerification: true,
      supportedAlgorithmIDs: ALGORITHMS,
    }).catch(refusal);
    if (!verified.verified) throw new PasskeyRefused('registration does not verify');
    const info = verified.registrationInfo;
    return {
      credentialId: info.credential.id,
      publicKey: Buffer.from(info.credential.publicKey),
      counter: info.credential.counter,
      transports: (info.credential.transports ?? []).slice(0, 8).map(String),
      backupEligible: info.credentialDeviceType === 'multiDevice',
      backedUp: info.credentialBackedUp,
      aaguid: info.aaguid,
    };
  }

  /**
   * Options to add a passkey on the account page, bound to the session `bound`; `name` is what
   * the person calls it. The account's passkeys are excluded, so one authenticator holds one.
   */
  async addOptions(
    accountId: string,
    bound: string,
    typedName: string,
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const name = normalizeName(typedName);
    const issue = passkeyNameProblem(name);
    if (issue) throw new InvalidInput({ passkey_name: issue });
    const account = await new AccountRepository(this.#db).byId(accountId);
    if (!account) throw new AccountNotFound();
    const rows = await this.#rows(accountId);
    // One user handle per account, so an authenticator replaces rather than piles up passkeys.
    const handle = rows[0]?.user_handle ?? isoBase64URL.fromBuffer(randomBytes(16));
    const options = await this.#registrationOptions(
      {
        name: account.email ?? account.name ?? accountId,
        displayName: account.name ?? account.email ?? '',
        handle,
      },
      rows,
    );
    await this.#challenges.remember(options.challenge, {
      purpose: 'add',
      bound,
      accountId,
      name,
      userHandle: handle,
    });
    return options;
  }

  /** Adds the passkey the browser created for addOptions(accountId, bound, …). */
  async add(accountId: string, bound: string, answer: string): Promise<PasskeySummary> {
    const { json, challenge } = parseCredential(answer);
    const issued = await this.#challenge(challenge, 'add', bound);
    if (issued.accountId !== accountId) throw new PasskeyChallengeInvalid();
    const credential = await this.#verifyRegistration(json, challenge);
    const id = randomUUID();
    try {
      await this.#insert(this.#db, {
        id,
        accountId,
        name: issued.name,
        userHandle: issued.userHandle,
        ...credential,
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new PasskeyAlreadyAdded();
      throw error;
    }
    this.#audit.record({
      type: 'passkey.added',
      accountId,
      details: { passkey_id: id, synced: credential.backupEligible },
    });
    return {
      id,
      name: issued.name,
      createdAt: new Date(),
      lastUsedAt: null,
      synced: credential.backupEligible,
    };
  }

  /** Checks a passkey-only sign-up's name and address, then options bound to the interaction. */
  async signUpOptions(
    bound: string,
    typed: { name: string; email: string },
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const email = normalizeEmail(typed.email);
    const name = normalizeName(typed.name);
    const problems: Record<string, FieldProblem> = {};
    const nameIssue = nameProblem(name);
    if (nameIssue) problems.name = nameIssue;
    const emailIssue = emailProblem(email);
    if (emailIssue) problems.email = emailIssue;
    if (Object.keys(problems).length > 0) throw new InvalidInput(problems);
    const handle = isoBase64URL.fromBuffer(randomBytes(16));
    const options = await this.#registrationOptions({ name: email, displayName: name, handle }, []);
    await this.#challenges.remember(options.challenge, {
      purpose: 'sign-up',
      bound,
      name,
      email,
      userHandle: handle,
    });
    return options;
  }

  /**
   * Completes a passkey-only sign-up exactly like a password one (AccountService.signUp): a new
   * address gets an account waiting for its confirmation link, with this passkey and no
   * password; an unconfirmed sign-up of the address is replaced; an address in use gets a
   * notice to its owner and the passkey is dropped. The same steps either way; the result is for
   * the log only. The address typed is the one remembered with the challenge.
   */
  async signUp(
    bound: string,
    answer: string,
    asker: { source: string; browser?: string | undefined },
  ): Promise<{ accountId: string; email: string } | { accountId?: undefined; email: string }> {
    const { json, challenge } = parseCredential(answer);
    const issued = await this.#challenge(challenge, 'sign-up', bound);
    const credential = await this.#verifyRegistration(json, challenge);
    await this.#throttle.countSignUp(asker.source);
    try {
      await this.#throttle.countMail(issued.email);
    } catch (error) {
      await this.#throttle.signUpNotAttempted(asker.source).catch(() => {});
      throw error;
    }
    const created = await this.#tokens.signUpWithPasskey(
      {
        email: issued.email,
        name: issued.name,
        passkey: {
          id: randomUUID(),
          name: this.#rp.name,
          userHandle: issued.userHandle,
          ...credential,
        },
      },
      asker.browser,
    );
    if (created) this.#notices.confirmAddress(issued.email, created.token);
    else this.#notices.signUpAttempted(issued.email);
    this.#audit.record(
      created
        ? { type: 'sign_up', accountId: created.accountId, details: { method: 'passkey' } }
        : {
            type: 'sign_up',
            outcome: 'failure',
            attemptedEmail: issued.email,
            details: { method: 'passkey', reason: 'address_in_use' },
          },
    );
    return created
      ? { accountId: created.accountId, email: issued.email }
      : { email: issued.email };
  }

  async #insert(db: DataSource | EntityManager, p: NewPasskey & { accountId: string }) {
    await db.query(
      `INSERT INTO passkeys (id, account_id, credential_id, public_key, user_handle, counter,
                             transports, backup_eligible, backed_up, aaguid, name)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        p.id,
        p.accountId,
        p.credentialId,
        p.publicKey,
        p.userHandle,
        p.counter,
        p.transports,
        p.backupEligible,
        p.backedUp,
        p.aaguid,
        p.name,
      ],
    );
  }

  // --- Managing ---------------------------------------------------------------------------

  async #rows(accountId: string): Promise<Row[]> {
    if (!isUuid(accountId)) return [];
    return this.#db.query(
      `SELECT id, account_id, credential_id, public_key, user_handle, counter, transports,
              backup_eligible
         FROM passkeys WHERE account_id = $1 ORDER BY created_at`,
      [accountId],
    );
  }

  async list(accountId: string): Promise<PasskeySummary[]> {
    if (!isUuid(accountId)) return [];
    const rows: {
      id: string;
      name: string;
      created_at: Date;
      last_used_at: Date | null;
      backup_eligible: boolean;
    }[] = await this.#db.query(
      `SELECT id, name, created_at, last_used_at, backup_eligible
         FROM passkeys WHERE account_id = $1 ORDER BY created_at, id`,
      [accountId],
    );
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      createdAt: r.created_at,
      lastUsedAt: r.last_used_at,
      synced: r.backup_eligible,
    }));
  }

  async count(accountId: string): Promise<number> {
    if (!isUuid(accountId)) return 0;
    const [row]: { n: number }[] = await this.#db.query(
      'SELECT count(*)::int AS n FROM passkeys WHERE account_id = $1',
      [accountId],
    );
    return row?.n ?? 0;
  }

  async rename(accountId: string, passkeyId: string, typedName: string): Promise<void> {
    const name = normalizeName(typedName);
    const issue = passkeyNameProblem(name);
    if (issue) throw new InvalidInput({ passkey_name: issue });
    if (!isUuid(accountId) || !isUuid(passkeyId)) throw new AccountNotFound();
    const [, changed] = (await this.#db.query(
      'UPDATE passkeys SET name = $3 WHERE id = $1 AND account_id = $2',
      [passkeyId, accountId, name],
    )) as [unknown, number];
    if (changed === 0) throw new AccountNotFound();
  }

  /** Removes a passkey, unless it is the account's last way to sign in. */
  async remove(accountId: string, passkeyId: string): Promise<void> {
    if (!isUuid(accountId) || !isUuid(passkeyId)) throw new AccountNotFound();
    await this.#db.transaction(async (tx) => {
      // The account row's lock makes concurrent removals (of passkeys or upstreams) take turns.
      const account = await new AccountRepository(tx).byIdForUpdate(accountId);
      if (!account) throw new AccountNotFound();
      const [counts]: { passkeys: number; upstreams: number; mine: number }[] = await tx.query(
        `SELECT (SELECT count(*)::int FROM passkeys WHERE account_id = $1) AS passkeys,
                (SELECT count(*)::int FROM federated_identities WHERE account_id = $1) AS upstreams,
                (SELECT count(*)::int FROM passkeys WHERE account_id = $1 AND id = $2) AS mine`,
        [accountId, passkeyId],
      );
      if (!counts || counts.mine === 0) throw new AccountNotFound();
      const others = (account.passwordHash === null ? 0 : 1) + counts.upstreams + counts.passkeys;
      if (others <= 1) throw new LastSignInMethod();
      await tx.query('DELETE FROM passkeys WHERE id = $1 AND account_id = $2', [
        passkeyId,
        accountId,
      ]);
    });
    this.#audit.record({ type: 'passkey.removed', accountId, details: { passkey_id: passkeyId } });
  }
}

/** A verified new passkey, as stored. */
export interface NewPasskey {
  id: string;
  name: string;
  userHandle: string;
  credentialId: string;
  publicKey: Buffer;
  counter: number;
  transports: string[];
  backupEligible: boolean;
  backedUp: boolean;
  aaguid: string;
}

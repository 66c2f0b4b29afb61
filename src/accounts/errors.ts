// Domain errors: facts about accounts, with no HTTP status; the HTTP edge decides how to answer.

export abstract class DomainError extends Error {
  abstract readonly code: string;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A domain fact with a fixed code and log message, and nothing else to say. */
function fact<C extends string>(code: C, message: string) {
  return class extends DomainError {
    readonly code: C = code;

    constructor() {
      super(message);
    }
  };
}

/** A refusal that lifts by itself after the given number of seconds. */
function retryLater<C extends string>(code: C, message: string) {
  return class extends DomainError {
    readonly code: C = code;
    readonly retryAfterSeconds: number;

    constructor(retryAfterSeconds: number) {
      super(message);
      this.retryAfterSeconds = retryAfterSeconds;
    }
  };
}

/** Why a typed value breaks an account rule, as a stable code the edge puts into words. */
export type ProblemCode =
  | 'email.missing'
  | 'email.too_long'
  | 'email.invalid'
  | 'email.unchanged'
  | 'name.missing'
  | 'name.too_long'
  | 'name.control'
  | 'picture.too_long'
  | 'picture.not_https'
  | 'password.too_short'
  | 'password.too_long'
  | 'password.common'
  | 'password.is_email'
  | 'password.personal'
  | 'password.needs_email'
  | 'passkey_name.missing'
  | 'passkey_name.too_long'
  | 'passkey_name.control';

/** A broken rule and the limits it names (`password.too_short` with `{ min: 8 }`). */
export interface FieldProblem {
  readonly code: ProblemCode;
  readonly params?: Readonly<Record<string, number>>;
}

export const problem = (code: ProblemCode, params?: Record<string, number>): FieldProblem =>
  params ? { code, params } : { code };

/** One or more fields are unacceptable; each problem is meant for the person filling the form. */
export class InvalidInput extends DomainError {
  readonly code = 'invalid_input';
  readonly fields: Readonly<Record<string, FieldProblem>>;

  constructor(fields: Record<string, FieldProblem>) {
    super(
      `invalid ${Object.values(fields)
        .map((p) => p.code)
        .join(', ')}`,
    );
    this.fields = fields;
  }
}

/** Sign-up with an email that already belongs to an account. */
export class EmailTaken extends fact('email_taken', 'email already registered') {}

/** Wrong password, unknown email or an account without a password: deliberately indistinct. */
export class InvalidCredentials extends fact('invalid_credentials', 'invalid email or password') {}

/** Too many failed attempts for this email or source. */
export class TooManyAttempts extends retryLater('too_many_attempts', 'too many attempts') {}

/** Too many passwords are already waiting to be hashed or checked. */
export class HashingBusy extends retryLater('hashing_busy', 'password hashing is busy') {}

export class AccountNotFound extends fact('account_not_found', 'account not found') {}

/** The upstream identity already belongs to another account. */
export class IdentityAlreadyLinked extends fact(
  'identity_already_linked',
  'this sign-in is already linked to another account',
) {}

/** Removing this sign-in method would leave the account with no way to sign in. */
export class LastSignInMethod extends fact(
  'last_sign_in_method',
  'the last way to sign in cannot be removed',
) {}

/** A link sent by email that was used, replaced by a newer one, or has expired. */
export class LinkInvalid extends fact('link_invalid', 'the link is used, replaced or expired') {}

/** A one-time code (TOTP or recovery code) that is wrong, expired or already used. */
export class InvalidCode extends fact(
  'invalid_code',
  'the code is wrong, expired or already used',
) {}

/** Two-step sign-in is already on: a new secret would replace the one in the person's app. */
export class SecondFactorExists extends fact(
  'second_factor_exists',
  'two-step sign-in is already set up',
) {}

/** There is no two-step sign-in (or no enrolment waiting for its code) to act on. */
export class NoSecondFactor extends fact('no_second_factor', 'two-step sign-in is not set up') {}
/** A passkey ceremony whose answer failed a check (origin, RP ID, user verification, signature). */
export class PasskeyRefused extends DomainError {
  readonly code = 'passkey_refused';

  /** `reason` is for the log only: which check failed, never anything secret. */
  constructor(reason: string) {
    super(`passkey refused: ${reason}`);
  }
}

/** The ceremony's challenge is unknown, used, expired, or belongs to another page or session. */
export class PasskeyChallengeInvalid extends fact(
  'passkey_challenge_invalid',
  'the passkey challenge is used, expired or not for this page',
) {}

/** The credential presented is not registered with any account. */
export class PasskeyUnknown extends fact('passkey_unknown', 'no account has this passkey') {}

/**
 * The authenticator's signature counter did not move forward from the stored one: a sign of a
 * cloned authenticator, so the assertion is refused.
 */
export class PasskeyCounterRegressed extends DomainError {
  readonly code = 'passkey_counter_regressed';

  constructor(accountId: string, passkeyId: string, stored: number, received: number) {
    super(
      `passkey ${passkeyId} of account ${accountId}: counter ${received} not above stored ${stored}`,
    );
  }
}

/** This authenticator already holds a passkey for the account. */
export class PasskeyAlreadyAdded extends fact(
  'passkey_already_added',
  'the passkey is already registered',
) {}

/** A passkey of a sign-up whose address was never confirmed: the link is sent again. */
export class SignUpNotConfirmed extends fact(
  'sign_up_not_confirmed',
  'the account waits for its confirmation link',
) {}

/** Every account error's code: the keys the HTTP edge words and answers. */
export type DomainCode =
  | InvalidInput['code']
  | EmailTaken['code']
  | InvalidCredentials['code']
  | TooManyAttempts['code']
  | HashingBusy['code']
  | AccountNotFound['code']
  | IdentityAlreadyLinked['code']
  | LastSignInMethod['code']
  | LinkInvalid['code']
  | InvalidCode['code']
  | SecondFactorExists['code']
  | NoSecondFactor['code']
  | PasskeyRefused['code']
  | PasskeyChallengeInvalid['code']
  | PasskeyUnknown['code']
  | PasskeyCounterRegressed['code']
  | PasskeyAlreadyAdded['code']
  | SignUpNotConfirmed['code'];

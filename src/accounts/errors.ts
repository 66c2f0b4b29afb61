// Domain errors: facts about accounts, with no HTTP status; the HTTP edge decides how to answer.

export abstract class DomainError extends Error {
  abstract readonly code: string;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** One or more fields are unacceptable; messages are meant for the person filling the form. */
export class InvalidInput extends DomainError {
  readonly code = 'invalid_input';
  readonly fields: Readonly<Record<string, string>>;

  constructor(fields: Record<string, string>) {
    super(Object.values(fields).join(' '));
    this.fields = fields;
  }
}

/** Sign-up with an email that already belongs to an account. */
export class EmailTaken extends DomainError {
  readonly code = 'email_taken';

  constructor() {
    super('email already registered');
  }
}

/** Wrong password, unknown email or an account without a password: deliberately indistinct. */
export class InvalidCredentials extends DomainError {
  readonly code = 'invalid_credentials';

  constructor() {
    super('invalid email or password');
  }
}

/** Too many failed attempts for this email or source; retry after the given number of seconds. */
export class TooManyAttempts extends DomainError {
  readonly code = 'too_many_attempts';
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super('too many attempts');
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Too many passwords are already waiting to be hashed or checked; retry after a few seconds. */
export class HashingBusy extends DomainError {
  readonly code = 'hashing_busy';
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super('password hashing is busy');
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class AccountNotFound extends DomainError {
  readonly code = 'account_not_found';

  constructor() {
    super('account not found');
  }
}

/** The upstream identity already belongs to another account. */
export class IdentityAlreadyLinked extends DomainError {
  readonly code = 'identity_already_linked';

  constructor() {
    super('this sign-in is already linked to another account');
  }
}

/** Removing this sign-in method would leave the account with no way to sign in. */
export class LastSignInMethod extends DomainError {
  readonly code = 'last_sign_in_method';

  constructor() {
    super('the last way to sign in cannot be removed');
  }
}

// What the account use cases tell people by email. Each call only queues a message: a mail
// server's trouble never fails the request that caused it (src/mail/ words and sends them).
export interface AccountNotices {
  /** A link confirming that `to` belongs to the person; `token` is the link's secret. */
  confirmAddress(to: string, token: string): void;
  /** Someone tried to sign up with `to`, which already has an account. */
  signUpAttempted(to: string): void;
  /** The account's sign-in address changed; told to the old one. */
  emailChanged(oldAddress: string, newAddress: string): void;
  /** A link to choose a new password. */
  resetPassword(to: string, token: string): void;
}

/** Tells no one: for operator commands, which change accounts without asking their owners. */
export const NO_NOTICES: AccountNotices = {
  confirmAddress: () => {},
  signUpAttempted: () => {},
  emailChanged: () => {},
  resetPassword: () => {},
};

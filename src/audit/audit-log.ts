// The audit trail's port: what a security event is, and the one call that records it. Recording
// never waits and never throws; where and when rows are written is the implementation's part.

/** Every kind of security event, as stored in `audit_events.type`. */
export const AUDIT_EVENT_TYPES = [
  'sign_in',
  'second_step',
  'sign_up',
  'email.confirmed',
  'password.changed',
  'password.reset',
  'upstream.linked',
  'upstream.unlinked',
  'passkey.added',
  'passkey.removed',
  'totp.added',
  'totp.removed',
  'recovery_codes.replaced',
  'sessions.revoked',
  'consent.granted',
  'consent.denied',
  'consent.revoked',
  'grant.revoked',
  'refresh_token.reuse_detected',
  'authorization_code.reuse_detected',
  'device.authorized',
  'device.denied',
  'admin.account_created',
  'admin.password_set',
  'admin.keys_staged',
  'admin.keys_rotated',
  'admin.keys_pruned',
  'admin.keys_rewrapped',
  'admin.audit_pruned',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export type AuditOutcome = 'success' | 'failure';

/** Who acted: a person (signed in or trying to), an operator at the CLI, or Latchkey itself. */
export type AuditActor = 'account' | 'operator' | 'system';

/** A few plain values about the event; never a password, token, code or secret. */
export type AuditDetails = Readonly<Record<string, string | number | boolean | readonly string[]>>;

export interface AuditEvent {
  type: AuditEventType;
  /** Default success. */
  outcome?: AuditOutcome;
  /** The account concerned; absent when there is none (an address nobody signed up with). */
  accountId?: string | null | undefined;
  /**
   * An address typed for an account that may not exist: never stored as typed, only as a keyed
   * hash in the details, so repeated attempts on one address can be told apart from others.
   */
  attemptedEmail?: string;
  /** The application concerned; default the one of the request, when it names one. */
  clientId?: string | undefined;
  /** Default from the context: the person at an HTTP request, the operator at the CLI. */
  actor?: AuditActor;
  details?: AuditDetails;
}

export interface AuditLog {
  /** Queues the event; returns at once and never throws. */
  record(event: AuditEvent): void;
}

/** Records nothing: for code paths that keep no trail (tests of a single use case). */
export const NO_AUDIT: AuditLog = { record: () => {} };

export function isAuditEventType(value: string): value is AuditEventType {
  return (AUDIT_EVENT_TYPES as readonly string[]).includes(value);
}

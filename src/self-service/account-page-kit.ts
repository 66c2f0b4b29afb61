// What the account page's routes share: who is signed in, the checked form, the recent-sign-in
// rule and the page itself (built in account-routes.ts, used by the profile and link routes too).
import type { Context } from 'koa';
import type { Profile } from '../accounts/account.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Form } from '../http/form.ts';
import type { AccountMessages } from '../http/pages.ts';
import type { Section } from './sign-in-state.ts';

export interface SignedIn {
  session: { jti: string; uid: string; past(age: number): boolean };
  profile: Profile;
}

export interface AccountPageKit {
  /** Where the page's security events are recorded. */
  audit: AuditLog;
  signedIn(ctx: Context): Promise<SignedIn | undefined>;
  /** The signed-in person and their form, after the page's CSRF token was checked (else 403). */
  signedInForm(ctx: Context): Promise<{ current: SignedIn; body: Form }>;
  /** True when the sign-in is recent; otherwise the page asks to sign in again, for `section`. */
  recentOrReprompt(ctx: Context, current: SignedIn, section: Section): Promise<boolean>;
  page(ctx: Context, status: number, extra?: AccountMessages): Promise<void>;
  /** Leaves a one-time notice for the next view of /account. */
  flash(ctx: Context, value: string): void;
}

// What the account page's state cookie remembers across a sign-in: the state, for a
// re-authentication who asked and which part of the page to come back to, and for a device
// sign-in the code page to return to.
import { timingSafeEqual } from 'node:crypto';
import type { MessageKey } from '../i18n/t.ts';

/** The parts of the page a re-authentication can lead back to, and what to say on return. */
export const SECTIONS = {
  password: 'account.reauth_password',
  methods: 'account.reauth_methods',
  email: 'account.reauth_email',
  devices: 'devices.reauth',
  apps: 'apps.reauth',
  'two-step': 'totp.reauth',
  passkeys: 'passkey.reauth',
} as const satisfies Record<string, MessageKey>;
export type Section = keyof typeof SECTIONS;

export const isSection = (value: unknown): value is Section =>
  typeof value === 'string' && Object.hasOwn(SECTIONS, value);

export interface SignInState {
  state: string;
  reauth?: { section: Section; accountId: string };
  /** Where to go after signing in: only the device code page (see isReturnPath). */
  returnTo?: string;
}

// The device code page, with a user code of letters, digits and hyphens: nothing else, so the
// return path can never lead off this site or to another page.
const RETURN_PATH = /^\/device(\?user_code=[A-Za-z0-9-]{1,32})?$/;

export const isReturnPath = (value: unknown): value is string =>
  typeof value === 'string' && RETURN_PATH.test(value);

/** The code page to come back to, keeping a well-formed user code from the address. */
export function deviceReturnPath(userCode: string | undefined): string {
  const withCode = `/device?user_code=${userCode ?? ''}`;
  return isReturnPath(withCode) ? withCode : '/device';
}

export const encodeState = (s: SignInState) => {
  const back = s.returnTo ? `.${Buffer.from(s.returnTo).toString('base64url')}` : '';
  const reauth = s.reauth ? `.${s.reauth.section}.${s.reauth.accountId}` : s.returnTo ? '..' : '';
  return `${s.state}${reauth}${back}`;
};

export function decodeState(value: string | undefined): SignInState | undefined {
  const [state, section, accountId, back] = (value ?? '').split('.');
  if (!state) return undefined;
  const decoded = back ? Buffer.from(back, 'base64url').toString() : undefined;
  const returnTo = isReturnPath(decoded) ? { returnTo: decoded } : {};
  if (isSection(section) && accountId)
    return { state, reauth: { section, accountId }, ...returnTo };
  return { state, ...returnTo };
}

export function sameSecret(a: string, b: string): boolean {
  return a !== '' && a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

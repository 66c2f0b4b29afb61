// What the account page's state cookie remembers across a sign-in: the state, and for a
// re-authentication who asked and which part of the page to come back to.
import { timingSafeEqual } from 'node:crypto';
import type { MessageKey } from '../i18n/t.ts';

/** The parts of the page a re-authentication can lead back to, and what to say on return. */
export const SECTIONS = {
  password: 'account.reauth_password',
  methods: 'account.reauth_methods',
  devices: 'devices.reauth',
} as const satisfies Record<string, MessageKey>;
export type Section = keyof typeof SECTIONS;

export const isSection = (value: unknown): value is Section =>
  typeof value === 'string' && Object.hasOwn(SECTIONS, value);

export interface SignInState {
  state: string;
  reauth?: { section: Section; accountId: string };
}

export const encodeState = (s: SignInState) =>
  s.reauth ? `${s.state}.${s.reauth.section}.${s.reauth.accountId}` : s.state;

export function decodeState(value: string | undefined): SignInState | undefined {
  const [state, section, accountId] = (value ?? '').split('.');
  if (!state) return undefined;
  if (isSection(section) && accountId) return { state, reauth: { section, accountId } };
  return { state };
}

export function sameSecret(a: string, b: string): boolean {
  return a !== '' && a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

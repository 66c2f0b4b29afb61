// One typed function per page in views/: a page called with a missing or misspelt value fails
// type-checking, and a missing view fails at start (Views compiles them all).
import type { Context } from 'koa';
import type { Profile } from '../accounts/account.ts';
import { t } from '../i18n/t.ts';
import { groupByResource, type ScopeLine } from '../interactions/scope-descriptions.ts';
import type { ActivityRow } from '../self-service/activity.ts';
import type { AppRow } from '../self-service/app-routes.ts';
import type { DeviceRow } from '../self-service/device-routes.ts';
import type { PasskeyRow } from '../self-service/passkey-routes.ts';
import type { PageLocals, Views } from './views.ts';

export interface UpstreamButton {
  id: string;
  name: string;
  /** The sentence on the button, e.g. "Sign in with Google". */
  label: string;
  /** The upstream's mark, inline SVG from its definition (never from a request). */
  svg: string;
}

/** How the application presents itself, from its client metadata (all https, checked at boot). */
export interface ClientBrand {
  logoUri?: string | undefined;
  policyUri?: string | undefined;
  tosUri?: string | undefined;
}

/** What every interaction page shows: which interaction, its form token and the application. */
interface InteractionLocals {
  uid: string;
  csrf: string;
  clientName: string;
  clientBrand: ClientBrand;
  /** Words for signing in to Latchkey's own account page rather than to an application. */
  own?: { lede: string; cancel: string } | undefined;
}

export interface LoginLocals extends InteractionLocals {
  email: string;
  error?: string | undefined;
  notice?: string | undefined;
  upstreams: UpstreamButton[];
}

export interface SignUpLocals extends InteractionLocals {
  values: { name: string; email: string };
  errors: Readonly<Record<string, string>>;
  error?: string | undefined;
  upstreams: UpstreamButton[];
  /** A passkey-only sign-up's second step: the ceremony's options (JSON) for the page's script. */
  passkey?: { options: string } | undefined;
}

/** The second step of a sign-in: a code from the authenticator app or a recovery code. */
export interface SecondStepLocals extends InteractionLocals {
  /** The account has a TOTP (and recovery codes): the code form. */
  totp: boolean;
  /** The account has a passkey: "Use a passkey" (shown by the page's script where supported). */
  passkey: boolean;
  error?: string | undefined;
}

/** Setting a second factor up during a sign-in that requires one. */
export interface SecondStepSetupLocals extends InteractionLocals {
  /** The otpauth URI as an inline SVG QR code. */
  qr: string;
  /** The same secret, to type into an app that cannot scan. */
  secret: string;
  error?: string | undefined;
}

/** The recovery codes, shown once after setting up (empty on a reload), and the way on. */
export interface RecoveryCodesLocals extends InteractionLocals {
  codes: string[];
}

export interface ConsentLocals extends InteractionLocals {
  clientUri?: string | undefined;
  scopes: ScopeLine[];
}

export interface LinkLocals extends InteractionLocals {
  upstreamName: string;
  email: string;
  others: UpstreamButton[];
  error?: string | undefined;
}

/** What the account page says above its content, whoever is signed in. */
export interface AccountMessages {
  error?: string | undefined;
  notice?: string | undefined;
  passwordError?: string | undefined;
  /** The profile form sent back with what was typed and a message per refused field. */
  profileErrors?: Readonly<Record<string, string>> | undefined;
  profileValues?: { name: string; picture: string } | undefined;
  /** The section a re-authentication leads back to, when one is needed first. */
  reauth?: string | undefined;
  /** The change-of-address form sent back with what was typed and why it was refused. */
  emailError?: string | undefined;
  emailValue?: string | undefined;
  /** New recovery codes, shown once (after turning two-step sign-in on, or asking for new ones). */
  recoveryCodes?: string[] | undefined;
  /** The code typed to confirm an enrolment, refused. */
  totpError?: string | undefined;
  /** Adding a passkey: why the name or the passkey was refused, and the name typed. */
  passkeyError?: string | undefined;
  passkeyName?: string | undefined;
  /** Adding a passkey, second step: the ceremony's options (JSON) for the page's script. */
  passkeyCeremony?: string | undefined;
}

/** The account page's two-step sign-in section (self-service/two-step-routes.ts). */
export interface TwoStepView {
  on: boolean;
  since?: string | undefined;
  /** An enrolment waiting for its first code: the QR code and the secret as text. */
  enrolment?: { qr: string; secret: string } | undefined;
  recoveryCodesLeft: number;
  alwaysAsk: boolean;
  browsers: { id: string; label: string; since: string; until: string }[];
}

export type AccountLocals = AccountMessages &
  (
    | { signedIn: false }
    | {
        signedIn: true;
        profile: Profile;
        hasPassword: boolean;
        csrf: string;
        identities: {
          id: string;
          upstreamName: string;
          /** Which account at the upstream: its email or its handle. */
          detail: string | null;
          removable: boolean;
        }[];
        /** The account's passkeys (self-service/passkey-routes.ts). */
        passkeys: PasskeyRow[];
        /** Enabled upstreams not linked yet, with their button's words. */
        linkable: { id: string; label: string }[];
        logoutUrl: string;
        /** Where the account is signed in (self-service/device-routes.ts). */
        devices: DeviceRow[];
        /** The third-party apps the account allowed (self-service/app-routes.ts). */
        apps: AppRow[];
        /** The latest security events of the account (self-service/activity.ts). */
        activity: ActivityRow[];
        /** A new address waiting for its confirmation link, and until when the link works. */
        emailPending?: { email: string; until: string } | undefined;
        /** Two-step sign-in: on or off, its recovery codes and remembered browsers. */
        twoStep?: TwoStepView | undefined;
      }
  );

export interface ErrorLocals {
  title: string;
  status: number;
  message: string;
  /** The library's precise reason, when safe to show. */
  detail?: string | undefined;
  code?: string | undefined;
  backUrl?: string | undefined;
  backLabel?: string | undefined;
}

export interface LogoutLocals {
  /** oidc-provider's own confirmation form (its CSRF token), nothing a person typed. */
  form: string;
  clientName?: string | undefined;
  /** Signing out from the account page: the form submits itself (a button without script). */
  auto?: { heading: string; button: string } | undefined;
}

export interface LoggedOutLocals {
  clientName?: string | undefined;
}

/** The device sign-in pages; `xsrf` is oidc-provider's form secret for this session. */
export interface DeviceCodeLocals {
  xsrf: string;
  /** The code from verification_uri_complete, or the one typed when it matched nothing. */
  userCode: string;
  error?: string | undefined;
}

export interface DeviceConfirmLocals {
  xsrf: string;
  userCode: string;
  clientName: string;
  clientBrand: ClientBrand;
  clientUri?: string | undefined;
  scopes: ScopeLine[];
  /** When the device asked ("3 minutes ago") and what it is ("Chrome on Android") and where from. */
  startedAgo: string;
  deviceLabel: string;
  address?: string | undefined;
  /** The account the device will use, as the person knows it (email, else name). */
  account?: string | undefined;
}

/** After asking for a link: where it went and how to ask again. */
export interface CheckEmailLocals {
  /** What the link is for, and whether it was just sent again. */
  kind: 'sign-up' | 'reset' | 'resent';
  email: string;
  /** The form sending the confirmation link again (sign-up only). */
  csrf?: string | undefined;
  /** Back to the sign-in page of the authorization request, when there is one. */
  backUrl?: string | undefined;
  error?: string | undefined;
}

/** Following a confirmation link: the button that uses it, or what became of it. */
export interface EmailConfirmLocals {
  state: 'ask' | 'done' | 'invalid' | 'taken';
  email?: string | undefined;
  token?: string | undefined;
}

export interface PasswordForgotLocals {
  csrf: string;
  email: string;
  /** The authorization request the person came from, to go back to. */
  interaction?: string | undefined;
  error?: string | undefined;
  fieldError?: string | undefined;
}

export interface PasswordResetLocals {
  state: 'form' | 'invalid';
  email?: string | undefined;
  token?: string | undefined;
  error?: string | undefined;
}

export interface DeviceDoneLocals {
  outcome: 'allowed' | 'denied';
  clientName: string;
}

/**
 * The avatar's letters, e.g. "JD" for Jane Doe: the account page never loads a remote picture
 * (an upstream's CDN would learn who opens it, and the CSP allows no such origin).
 */
export function initialsOf(profile: Pick<Profile, 'name' | 'email'>): string {
  const words = (profile.name ?? '').match(/[\p{L}\p{N}]+/gu) ?? [];
  const picked = words.length > 1 ? [words[0], words.at(-1)] : [words[0] ?? profile.email ?? ''];
  const letters = picked.map((word) => [...(word ?? '')][0] ?? '').join('');
  return letters.toLocaleUpperCase() || '?';
}

export class Pages {
  readonly #views: Views;

  constructor(views: Views) {
    this.#views = views;
  }

  login(ctx: Context, status: number, locals: LoginLocals): void {
    this.#views.respond(ctx, 'login', status, { title: t('login.title'), ...locals });
  }

  signUp(ctx: Context, status: number, locals: SignUpLocals): void {
    this.#views.respond(ctx, 'signup', status, { title: t('signup.title'), ...locals });
  }

  secondStep(ctx: Context, status: number, locals: SecondStepLocals): void {
    this.#views.respond(ctx, 'second-step', status, { title: t('second_step.title'), ...locals });
  }

  secondStepSetup(ctx: Context, status: number, locals: SecondStepSetupLocals): void {
    this.#views.respond(ctx, 'second-step-setup', status, {
      title: t('second_step.setup_title'),
      ...locals,
    });
  }

  recoveryCodes(ctx: Context, status: number, locals: RecoveryCodesLocals): void {
    this.#views.respond(ctx, 'recovery-codes', status, {
      title: t('second_step.codes_title'),
      ...locals,
    });
  }

  consent(ctx: Context, status: number, locals: ConsentLocals): void {
    // One list per API, under its name, after what the application asks to know about you.
    this.#views.respond(ctx, 'consent', status, {
      title: t('consent.title'),
      ...locals,
      groups: groupByResource(locals.scopes),
    });
  }

  link(ctx: Context, status: number, locals: LinkLocals): void {
    this.#views.respond(ctx, 'link', status, { title: t('link.title'), ...locals });
  }

  account(ctx: Context, status: number, locals: AccountLocals): void {
    const initials = locals.signedIn ? initialsOf(locals.profile) : '';
    this.#views.respond(ctx, 'account', status, {
      title: t('account.title'),
      initials,
      ...locals,
    });
  }

  checkEmail(ctx: Context, status: number, locals: CheckEmailLocals): void {
    this.#views.respond(ctx, 'check-email', status, { title: t('email.check.title'), ...locals });
  }

  emailConfirm(ctx: Context, status: number, locals: EmailConfirmLocals): void {
    this.#views.respond(ctx, 'email-confirm', status, {
      title: t('email.confirm.title'),
      ...locals,
    });
  }

  passwordForgot(ctx: Context, status: number, locals: PasswordForgotLocals): void {
    this.#views.respond(ctx, 'password-forgot', status, {
      title: t('email.forgot.title'),
      ...locals,
    });
  }

  passwordReset(ctx: Context, status: number, locals: PasswordResetLocals): void {
    this.#views.respond(ctx, 'password-reset', status, {
      title: t('email.reset.title'),
      ...locals,
    });
  }

  error(ctx: Context, locals: ErrorLocals): void {
    this.#views.respond(ctx, 'error', locals.status, { ...locals });
  }

  /** The provider's own pages, rendered to a string: their nonce comes from the request map. */
  readonly html = {
    error: (page: Omit<PageLocals, 'title'>, locals: ErrorLocals) =>
      this.#views.render('error', { ...page, ...locals }),
    logout: (page: Omit<PageLocals, 'title'>, locals: LogoutLocals) =>
      this.#views.render('logout', { ...page, title: t('logout.title'), ...locals }),
    loggedOut: (page: Omit<PageLocals, 'title'>, locals: LoggedOutLocals) =>
      this.#views.render('logged-out', { ...page, title: t('logged_out.title'), ...locals }),
    deviceCode: (page: Omit<PageLocals, 'title'>, locals: DeviceCodeLocals) =>
      this.#views.render('device-code', { ...page, title: t('device.code.title'), ...locals }),
    deviceConfirm: (page: Omit<PageLocals, 'title'>, locals: DeviceConfirmLocals) =>
      this.#views.render('device-confirm', {
        ...page,
        title: t('device.confirm.title'),
        ...locals,
      }),
    deviceDone: (page: Omit<PageLocals, 'title'>, locals: DeviceDoneLocals) =>
      this.#views.render('device-done', {
        ...page,
        title: t(
          locals.outcome === 'allowed' ? 'device.done.allowed_title' : 'device.done.denied_title',
        ),
        ...locals,
      }),
  };
}

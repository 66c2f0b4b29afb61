// The second step of a sign-in: after a first factor, whether to ask for a one-time code (or to
// set a second factor up first), who is half signed in meanwhile, and completing the sign-in with
// what the second step proved. Other ways to pass the step (a passkey) plug in through
// `SecondStep.pending` and `SecondStep.complete`.

import type { Context } from 'koa';
import type { Profile } from '../accounts/account.ts';
import type { AccountService } from '../accounts/account-service.ts';
import type { SecondFactors } from '../accounts/second-factors.ts';
import type { RedisClient } from '../db/redis.ts';
import { clientRequiresMfa, mfaRequired, reachesMfa } from '../oidc/mfa-policy.ts';
import type { Details, InteractionKit, SignInOptions } from './interaction-kit.ts';

/** Someone half signed in, waiting at the second step of interaction `uid`. */
export interface PendingSignIn {
  accountId: string;
  /** What the first step proved (RFC 8176), e.g. ["pwd"]; empty for an upstream sign-in. */
  amr: string[];
  /** How the first step went, for the log and the list of devices ("password", "google"). */
  via: string;
  /** "Keep me signed in" from the first step. */
  remember: boolean;
  /** Two factors are required here (application, acr_values or the account's own choice). */
  required: boolean;
  /** No second factor yet: the person is asked to set one up now. */
  setup: boolean;
  /** Set up during this sign-in, its first code accepted: only "continue" remains. */
  enrolled?: boolean;
}

/** Long enough to open an authenticator app (or set one up), short enough to be forgotten soon. */
export const SECOND_STEP_SECONDS = 15 * 60;

/** The cookie holding this browser's "remember me for 30 days" token (its hash is stored). */
export const REMEMBER_COOKIE = 'latchkey.second-step';

/** RFC 8176 values a passed second step adds: a one-time code, and two factors in all. */
export const OTP_AMR = ['otp', 'mfa'] as const;

export class SecondStepStore {
  readonly #redis: RedisClient;
  readonly #prefix: string;

  constructor(redis: RedisClient, prefix: string) {
    this.#redis = redis;
    this.#prefix = `${prefix}second-step:`;
  }

  async begin(uid: string, pending: PendingSignIn): Promise<void> {
    await this.#redis.set(this.#prefix + uid, JSON.stringify(pending), 'EX', SECOND_STEP_SECONDS);
  }

  async get(uid: string): Promise<PendingSignIn | undefined> {
    return parse(await this.#redis.get(this.#prefix + uid));
  }

  /** Replaces the state, keeping what is left of its lifetime. */
  async update(uid: string, pending: PendingSignIn): Promise<void> {
    await this.#redis.set(this.#prefix + uid, JSON.stringify(pending), 'KEEPTTL', 'XX');
  }

  /** The state, once: GETDEL, so two requests finishing at once complete the sign-in once. */
  async take(uid: string): Promise<PendingSignIn | undefined> {
    return parse(await this.#redis.getdel(this.#prefix + uid));
  }
}

function parse(value: string | null): PendingSignIn | undefined {
  if (value === null) return undefined;
  const p = JSON.parse(value) as Partial<PendingSignIn>;
  if (typeof p.accountId !== 'string' || !Array.isArray(p.amr)) return undefined;
  return {
    accountId: p.accountId,
    amr: p.amr.map(String),
    via: String(p.via ?? 'password'),
    remember: p.remember === true,
    required: p.required === true,
    setup: p.setup === true,
    ...(p.enrolled ? { enrolled: true } : {}),
  };
}

export interface SecondStepDeps {
  kit: InteractionKit;
  accounts: AccountService;
  factors: SecondFactors;
  store: SecondStepStore;
  /** Whether the account has a passkey: one counts as a second factor where two are required. */
  hasPasskey: (accountId: string) => Promise<boolean>;
}

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

export class SecondStep {
  readonly #kit: InteractionKit;
  readonly #accounts: AccountService;
  readonly #factors: SecondFactors;
  readonly #hasPasskey: (accountId: string) => Promise<boolean>;
  readonly store: SecondStepStore;

  constructor(deps: SecondStepDeps) {
    this.#kit = deps.kit;
    this.#accounts = deps.accounts;
    this.#factors = deps.factors;
    this.#hasPasskey = deps.hasPasskey;
    this.store = deps.store;
  }

  /**
   * The sign-in gate (InteractionKit.guardSignIns). A sign-in that already reached two factors
   * passes. Otherwise two factors are asked for when required (the application, acr_values, the
   * account's "always ask"; a TOTP or a passkey then serves) and, for a password sign-in of an
   * account with two-step sign-in on, unless this browser is remembered. Upstream sign-ins pass unless two factors are required.
   */
  readonly gate = async (ctx: Context, profile: Profile, options: SignInOptions) => {
    const amr = options.amr ?? [];
    if (reachesMfa(amr)) return false;
    const details = await this.#kit.provider.interactionDetails(ctx.req, ctx.res);
    const client = await this.#kit.clientOf(details);
    const [hasTotp, hasPasskey, alwaysAsk] = await Promise.all([
      this.#factors.hasSecondFactor(profile.id),
      this.#hasPasskey(profile.id),
      this.#factors.alwaysAsks(profile.id),
    ]);
    const required = mfaRequired({
      acrValues: text(details.params.acr_values),
      clientRequiresMfa: clientRequiresMfa(client),
      accountRequiresMfa: alwaysAsk,
    });
    // Where two factors are required, a passkey is one; otherwise only turning two-step sign-in
    // on (TOTP) makes a password sign-in ask for more.
    const hasFactor = hasTotp || (required && hasPasskey);
    if (!required) {
      if (!hasTotp || !amr.includes('pwd')) return false;
      const token = ctx.cookies.get(REMEMBER_COOKIE);
      if (await this.#factors.isRemembered(profile.id, token)) return false;
    }
    await this.store.begin(details.uid, {
      accountId: profile.id,
      amr,
      via: options.via,
      remember: options.remember,
      required,
      setup: !hasFactor,
    });
    ctx.state.log.info(
      { event: 'second_step.asked', accountId: profile.id, required, setup: !hasFactor },
      hasFactor ? 'second step asked' : 'second factor to be set up',
    );
    ctx.status = 303;
    ctx.redirect(`/interaction/${details.uid}/second-step${hasFactor ? '' : '/setup'}`);
    return true;
  };

  /**
   * Step-up: the session is signed in, but below what this request requires. The second step
   * is asked of the session's account, keeping what its sign-in proved.
   */
  async stepUp(ctx: Context, details: Details): Promise<boolean> {
    const accountId = details.session?.accountId;
    const profile = accountId ? await this.#accounts.findProfile(accountId) : undefined;
    if (!profile) return false;
    const amr = Array.isArray(details.session?.amr) ? details.session.amr.map(String) : [];
    return this.gate(ctx, profile, {
      remember: true,
      amr,
      via: amr.includes('pwd') ? 'password' : 'step-up',
    });
  }

  /** Who is half signed in at interaction `uid`, if anyone. */
  pending(uid: string): Promise<PendingSignIn | undefined> {
    return this.store.get(uid);
  }

  /**
   * Completes the sign-in waiting at `details`, adding what the second step proved (`extraAmr`,
   * RFC 8176: ["otp", "mfa"] for a code; a passkey would add e.g. ["hwk", "user", "mfa"]).
   * False when nothing was waiting (already completed, or expired).
   */
  async complete(ctx: Context, details: Details, extraAmr: readonly string[]): Promise<boolean> {
    const pending = await this.store.take(details.uid);
    const profile = pending && (await this.#accounts.findProfile(pending.accountId));
    if (!pending || !profile) return false;
    const amr = [...new Set([...pending.amr, ...extraAmr])];
    await this.#kit.completeSignIn(ctx, profile, {
      remember: pending.remember,
      amr,
      via: pending.via,
    });
    return true;
  }
}

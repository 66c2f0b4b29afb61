// What every interaction route needs: the step it serves (interaction, form, prompt), pages in
// our layout, and finishing the interaction back into the authorization request.
import type { RouterContext } from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { type InteractionResults, errors as oidcErrors } from 'oidc-provider';
import type { Profile } from '../accounts/account.ts';
import { MAX_EMAIL_LENGTH } from '../accounts/profile-fields.ts';
import { noteAuditClient } from '../audit/audit-context.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { CsrfTokens } from '../http/csrf.ts';
import { type Form, readForm } from '../http/form.ts';
import type { Rejection, ShowAgain } from '../http/form-rejected.ts';
import { badRequest, forbidden } from '../http/http-errors.ts';
import { mapError } from '../http/map-error.ts';
import { type LoginLocals, Pages, type SignUpLocals, type UpstreamButton } from '../http/pages.ts';
import type { Views } from '../http/views.ts';
import { preferUiLocales } from '../i18n/current-locale.ts';
import { t } from '../i18n/t.ts';
import { type Metrics, NO_METRICS, type SignInOutcome } from '../metrics/metrics.ts';
import { acrOf } from '../oidc/assurance.ts';
import { ACCOUNT_CLIENT_ID } from '../oidc/clients.ts';
import { UPSTREAM_BUTTONS, type Upstreams } from '../upstreams/registry.ts';

export type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/** Longest input we even look at; anything larger is a malformed request, not a password. */
const MAX_FIELD = 1024;

export interface KitDeps {
  provider: Provider;
  views: Views;
  csrf: CsrfTokens;
  upstreams: Upstreams;
  /** Counts sign-ins and sign-ups; none when absent. */
  metrics?: Metrics;
  /** Where sign-ins and the pages' other security events are recorded. */
  audit: AuditLog;
}

/** What a step declares: the prompt it serves (none: any) and whether it reads a posted form. */
export interface StepSpec<F extends boolean> {
  prompt?: 'login' | 'consent';
  form?: F;
}

/** What a step's handler is given: the interaction and, for a form step, its checked form. */
export type Step<F extends boolean> = {
  details: Details;
} & (F extends true ? { form: Form } : { form?: undefined });

type Handler<F extends boolean> = (ctx: RouterContext, step: Step<F>) => Promise<void>;

/** How a person proved who they are on a sign-in page (RFC 8176 `amr`), and what the devices list says. */
export interface SignInOptions {
  remember: boolean;
  amr?: string[];
  via: string;
}

/**
 * Looks at a sign-in before it completes; true when it took over the answer (e.g. sent the
 * browser to the second step, interactions/second-step.ts) so the sign-in waits.
 */
export type SignInGate = (
  ctx: Context,
  profile: Profile,
  options: SignInOptions,
) => Promise<boolean>;

/** How a refused sign-in check is counted: by the status it is answered with. */
function outcomeOf(error: unknown): SignInOutcome {
  const { status } = mapError(error);
  if (status === 429) return 'throttled';
  if (status === 503) return 'unavailable';
  return status >= 500 ? 'error' : 'failure';
}

export class InteractionKit {
  readonly provider: Provider;
  readonly pages: Pages;
  readonly metrics: Metrics;
  readonly audit: AuditLog;
  readonly #csrf: CsrfTokens;
  readonly #upstreams: Upstreams;
  #gate: SignInGate | undefined;

  constructor(deps: KitDeps) {
    this.provider = deps.provider;
    this.pages = new Pages(deps.views);
    this.metrics = deps.metrics ?? NO_METRICS;
    this.audit = deps.audit;
    this.#csrf = deps.csrf;
    this.#upstreams = deps.upstreams;
  }

  /**
   * One interaction step: the interaction behind the cookie (it must be the one in the URL),
   * then the form with its CSRF token checked against it, then the prompt the step serves.
   */
  step<F extends boolean = false>(spec: StepSpec<F>, handler: Handler<F>) {
    return async (ctx: RouterContext) => {
      const details = await this.provider.interactionDetails(ctx.req, ctx.res);
      if (details.uid !== ctx.params.uid) {
        throw new oidcErrors.SessionNotFound('interaction mismatch');
      }
      preferUiLocales(details.params.ui_locales);
      noteAuditClient(details.params.client_id);
      const form = spec.form ? await this.#form(ctx, details) : undefined;
      if (spec.prompt && details.prompt.name !== spec.prompt) {
        throw badRequest('interaction.step_done');
      }
      await handler(ctx, { details, form } as Step<F>);
    };
  }

  async #form(ctx: Context, details: Details): Promise<Form> {
    const body = await readForm(ctx);
    if (!this.#csrf.verify(details.uid, body.text('csrf'))) throw forbidden('request.form_expired');
    return body;
  }

  async clientOf(details: Details) {
    const client = await this.provider.Client.find(String(details.params.client_id));
    if (!client) throw new oidcErrors.SessionNotFound('client no longer exists');
    return client;
  }

  /** The form fields every interaction page carries, and how the application presents itself. */
  async interactionLocals(details: Details) {
    const client = await this.clientOf(details);
    const own = details.params.client_id === ACCOUNT_CLIENT_ID;
    const uri = (value: unknown) => (typeof value === 'string' ? value : undefined);
    return {
      uid: details.uid,
      csrf: this.#csrf.issue(details.uid),
      clientName: client.clientName ?? client.clientId,
      clientBrand: {
        logoUri: uri(client.logoUri),
        policyUri: uri(client.policyUri),
        tosUri: uri(client.tosUri),
      },
      own: own ? { lede: t('login.own_lede'), cancel: t('login.own_cancel') } : undefined,
    };
  }

  field(body: Form, name: string): string {
    const value = body.text(name);
    if (value.length > MAX_FIELD) throw badRequest('request.field_too_long', { field: name });
    return value;
  }

  async finish(ctx: Context, result: InteractionResults, merge = false): Promise<void> {
    const to = await this.provider.interactionResult(ctx.req, ctx.res, result, {
      mergeWithLastSubmission: merge,
    });
    ctx.status = 303;
    ctx.redirect(to);
  }

  /**
   * A sign-in check (a password, a passkey, an upstream's answer, a second step) that counts its
   * refusal under `method`; its success is counted once the sign-in completes.
   */
  judge<T>(method: string, check: () => Promise<T>): () => Promise<T> {
    return async () => {
      try {
        return await check();
      } catch (error) {
        this.metrics.signIn(method, outcomeOf(error));
        throw error;
      }
    };
  }

  /** Every sign-in passes `gate` first (the second step); one gate only. */
  guardSignIns(gate: SignInGate): void {
    this.#gate = gate;
  }

  /** A first factor (or a complete sign-in) proved: signs in, unless the gate asks for more. */
  async signIn(ctx: Context, profile: Profile, options: SignInOptions): Promise<void> {
    if (this.#gate && (await this.#gate(ctx, profile, options))) return;
    await this.completeSignIn(ctx, profile, options);
  }

  /** Finishes the interaction as signed in, at the level its methods reach (acr from amr). */
  async completeSignIn(ctx: Context, profile: Profile, options: SignInOptions): Promise<void> {
    const amr = options.amr ?? [];
    ctx.state.log.info(
      { event: 'login.success', accountId: profile.id, via: options.via, amr },
      'signed in',
    );
    await this.finish(ctx, {
      login: {
        accountId: profile.id,
        remember: options.remember,
        ...(options.amr ? { amr: options.amr } : {}),
        acr: acrOf(amr),
        // Read back from the result for the list of devices (oidc/session-events.ts).
        method: options.via === 'sign-up' ? 'password' : options.via,
      },
    });
    this.metrics.signIn(options.via, 'success');
    this.audit.record({
      type: 'sign_in',
      accountId: profile.id,
      details: { method: options.via, amr },
    });
  }

  /** Buttons for the enabled upstreams, in the configured order, drawn as their guidelines ask. */
  upstreamButtons(): UpstreamButton[] {
    return [...this.#upstreams.values()].flatMap((u) => {
      const look = UPSTREAM_BUTTONS.get(u.id);
      if (!look) return [];
      return [
        { id: u.id, name: u.name, label: t(look.label, { upstream: u.name }), svg: look.svg },
      ];
    });
  }

  async loginPage(
    ctx: Context,
    details: Details,
    status: number,
    extra: Partial<Pick<LoginLocals, 'email' | 'error' | 'notice'>> = {},
  ): Promise<void> {
    const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint : '';
    this.pages.login(ctx, status, {
      ...(await this.interactionLocals(details)),
      email: extra.email ?? hint.slice(0, MAX_EMAIL_LENGTH),
      error: extra.error,
      // prompt=login over an existing session: the account page asking to confirm it is them.
      notice:
        extra.notice ??
        (details.session?.accountId && details.prompt.reasons.includes('login_prompt')
          ? t('login.confirm')
          : undefined),
      upstreams: this.upstreamButtons(),
    });
  }

  /** The sign-in page shown again with a refusal, keeping the email typed. */
  loginAgain(ctx: Context, details: Details, email?: string): ShowAgain {
    return (r: Rejection) =>
      this.loginPage(ctx, details, r.status, {
        ...(email === undefined ? {} : { email }),
        error: r.message,
      });
  }

  async signUpPage(
    ctx: Context,
    details: Details,
    status: number,
    extra: Partial<Pick<SignUpLocals, 'values' | 'errors' | 'error' | 'passkey'>> = {},
  ): Promise<void> {
    this.pages.signUp(ctx, status, {
      ...(await this.interactionLocals(details)),
      values: extra.values ?? { name: '', email: '' },
      errors: extra.errors ?? {},
      error: extra.error,
      upstreams: this.upstreamButtons(),
      passkey: extra.passkey,
    });
  }
}

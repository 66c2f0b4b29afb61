// What every interaction route needs: the interaction behind the cookie, CSRF-checked forms,
// pages in our layout, and finishing the interaction back into the authorization request.
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { type InteractionResults, errors as oidcErrors } from 'oidc-provider';
import type { Profile } from '../accounts/account.ts';
import { MAX_EMAIL_LENGTH } from '../accounts/profile-fields.ts';
import type { Upstreams } from '../federation/registry.ts';
import type { CsrfTokens } from '../http/csrf.ts';
import { type Form, readForm } from '../http/form.ts';
import { badRequest, forbidden } from '../http/http-errors.ts';
import type { Locals, Views } from '../http/views.ts';

export type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/** Longest input we even look at; anything larger is a malformed request, not a password. */
const MAX_FIELD = 1024;

export interface KitDeps {
  provider: Provider;
  views: Views;
  csrf: CsrfTokens;
  upstreams: Upstreams;
}

export class InteractionKit {
  readonly provider: Provider;
  readonly #views: Views;
  readonly #csrf: CsrfTokens;
  readonly #upstreams: Upstreams;

  constructor(deps: KitDeps) {
    this.provider = deps.provider;
    this.#views = deps.views;
    this.#csrf = deps.csrf;
    this.#upstreams = deps.upstreams;
  }

  /** The interaction named by the cookie; it must be the one in the URL. */
  async load(ctx: Context): Promise<Details> {
    const details = await this.provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== ctx.params.uid) {
      throw new oidcErrors.SessionNotFound('interaction mismatch');
    }
    return details;
  }

  async clientOf(details: Details) {
    const client = await this.provider.Client.find(String(details.params.client_id));
    if (!client) throw new oidcErrors.SessionNotFound('client no longer exists');
    return client;
  }

  async clientName(details: Details): Promise<string> {
    const client = await this.clientOf(details);
    return client.clientName ?? client.clientId;
  }

  csrfToken(details: Details): string {
    return this.#csrf.issue(details.uid);
  }

  /** The posted form, after its CSRF token was checked against this interaction. */
  async form(ctx: Context, details: Details): Promise<Form> {
    const body = await readForm(ctx);
    if (!this.#csrf.verify(details.uid, body.text('csrf'))) {
      throw forbidden(
        'This form has expired or was not sent from this site. Go back and try again.',
      );
    }
    return body;
  }

  field(body: Form, name: string): string {
    const value = body.text(name);
    if (value.length > MAX_FIELD) throw badRequest(`The field "${name}" is too long.`);
    return value;
  }

  expectPrompt(details: Details, name: string): void {
    if (details.prompt.name !== name) {
      throw badRequest('This step of signing in is already done. Go back to the application.');
    }
  }

  render(ctx: Context, view: string, status: number, locals: Locals & { title: string }): void {
    this.#views.respond(ctx, view, status, locals);
  }

  async finish(ctx: Context, result: InteractionResults, merge = false): Promise<void> {
    const to = await this.provider.interactionResult(ctx.req, ctx.res, result, {
      mergeWithLastSubmission: merge,
    });
    ctx.status = 303;
    ctx.redirect(to);
  }

  async signIn(
    ctx: Context,
    profile: Profile,
    options: { remember: boolean; amr?: string[]; via: string },
  ): Promise<void> {
    ctx.state.log.info(
      { event: 'login.success', accountId: profile.id, via: options.via },
      'signed in',
    );
    await this.finish(ctx, {
      login: {
        accountId: profile.id,
        remember: options.remember,
        ...(options.amr ? { amr: options.amr } : {}),
      },
    });
  }

  /** Buttons for the enabled upstream providers, in registry order. */
  upstreamButtons(): { id: string; name: string }[] {
    return [...this.#upstreams.values()].map((u) => ({ id: u.id, name: u.name }));
  }

  async loginPage(
    ctx: Context,
    details: Details,
    status: number,
    extra: { email?: string; error?: string; notice?: string } = {},
  ): Promise<void> {
    const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint : '';
    this.render(ctx, 'login', status, {
      title: 'Sign in',
      uid: details.uid,
      csrf: this.csrfToken(details),
      clientName: await this.clientName(details),
      email: extra.email ?? hint.slice(0, MAX_EMAIL_LENGTH),
      error: extra.error,
      // prompt=login over an existing session: the account page asking to confirm it is them.
      notice:
        extra.notice ??
        (details.session?.accountId && details.prompt.reasons.includes('login_prompt')
          ? "Sign in again to confirm it's you."
          : undefined),
      upstreams: this.upstreamButtons(),
    });
  }

  async signUpPage(
    ctx: Context,
    details: Details,
    status: number,
    extra: {
      values?: { name: string; email: string };
      errors?: Record<string, string>;
      error?: string;
    } = {},
  ): Promise<void> {
    this.render(ctx, 'signup', status, {
      title: 'Create your account',
      uid: details.uid,
      csrf: this.csrfToken(details),
      clientName: await this.clientName(details),
      values: extra.values ?? { name: '', email: '' },
      errors: extra.errors ?? {},
      error: extra.error,
      upstreams: this.upstreamButtons(),
    });
  }
}

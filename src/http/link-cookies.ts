// Cookies that tie a link sent by email to the browser that asked for it: a random secret (the
// link can tell whether it is opened there), the authorization request to go back to, and a
// sign-in ticket on its way to the next sign-in page (interactions/sign-in-tickets.ts).
import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';

const BROWSER = 'latchkey.browser';
const CONTINUE = 'latchkey.continue';
const TICKET = 'latchkey.ticket';

const SECRET = /^[A-Za-z0-9_-]{43}$/;
/** oidc-provider's interaction ids (nanoid): nothing else is ever put into a path. */
const INTERACTION = /^[A-Za-z0-9_-]{10,64}$/;

export class LinkCookies {
  readonly #options: {
    httpOnly: true;
    sameSite: 'lax';
    secure: boolean;
    path: string;
    signed: true;
    overwrite: true;
  };

  constructor(https: boolean) {
    this.#options = {
      httpOnly: true,
      sameSite: 'lax',
      secure: https,
      path: '/',
      signed: true,
      overwrite: true,
    };
  }

  #read(ctx: Context, name: string, shape: RegExp): string | undefined {
    const value = ctx.cookies.get(name, { signed: true });
    return value !== undefined && shape.test(value) ? value : undefined;
  }

  /** This browser's secret, made and kept for a day when it has none yet. */
  browserSecret(ctx: Context): string {
    const existing = this.#read(ctx, BROWSER, SECRET);
    if (existing) return existing;
    const secret = randomBytes(32).toString('base64url');
    ctx.cookies.set(BROWSER, secret, { ...this.#options, maxAge: 24 * 60 * 60 * 1000 });
    return secret;
  }

  /** The secret, only if this browser has one already (opening a link never makes one). */
  existingSecret(ctx: Context): string | undefined {
    return this.#read(ctx, BROWSER, SECRET);
  }

  /** The authorization request to continue once the link is followed here (an interaction lasts an hour). */
  rememberInteraction(ctx: Context, uid: string): void {
    if (INTERACTION.test(uid)) {
      ctx.cookies.set(CONTINUE, uid, { ...this.#options, maxAge: 60 * 60 * 1000 });
    }
  }

  interaction(ctx: Context): string | undefined {
    return this.#read(ctx, CONTINUE, INTERACTION);
  }

  forgetInteraction(ctx: Context): void {
    ctx.cookies.set(CONTINUE, null, this.#options);
  }

  setTicket(ctx: Context, ticket: string): void {
    ctx.cookies.set(TICKET, ticket, { ...this.#options, maxAge: 2 * 60 * 1000 });
  }

  /** The ticket cookie's value, cleared as it is read. */
  takeTicket(ctx: Context): string | undefined {
    const ticket = this.#read(ctx, TICKET, SECRET);
    if (ctx.cookies.get(TICKET) !== undefined) ctx.cookies.set(TICKET, null, this.#options);
    return ticket;
  }

  hasTicket(ctx: Context): boolean {
    return this.#read(ctx, TICKET, SECRET) !== undefined;
  }
}

export const isInteractionId = (value: unknown): value is string =>
  typeof value === 'string' && INTERACTION.test(value);

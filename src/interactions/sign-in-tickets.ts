// Signing a person in right after they proved themselves outside a sign-in page (a new password
// from a reset link, a confirmed sign-up in the browser that made it): a single-use ticket in
// Redis, named by a cookie of this browser only, redeemed by the next sign-in page it reaches.
import { createHash, randomBytes } from 'node:crypto';
import type { RedisClient } from '../db/redis.ts';

export interface Ticket {
  accountId: string;
  /** How the person proved themselves (RFC 8176 values), and what the list of devices says. */
  amr: string[];
  via: string;
}

/** Long enough to follow two redirects, short enough that a forgotten ticket is soon worthless. */
export const TICKET_SECONDS = 120;

const TICKET = /^[A-Za-z0-9_-]{43}$/;

export class SignInTickets {
  readonly #redis: RedisClient;
  readonly #prefix: string;

  constructor(redis: RedisClient, prefix: string) {
    this.#redis = redis;
    this.#prefix = `${prefix}signin-ticket:`;
  }

  #key(ticket: string) {
    return this.#prefix + createHash('sha256').update(ticket).digest('base64url');
  }

  async issue(ticket: Ticket): Promise<string> {
    const secret = randomBytes(32).toString('base64url');
    await this.#redis.set(this.#key(secret), JSON.stringify(ticket), 'EX', TICKET_SECONDS);
    return secret;
  }

  /** The ticket, once: GETDEL makes concurrent redemptions see it at most once between them. */
  async redeem(secret: string | undefined): Promise<Ticket | undefined> {
    if (!secret || !TICKET.test(secret)) return undefined;
    const value = await this.#redis.getdel(this.#key(secret));
    if (value === null) return undefined;
    const parsed = JSON.parse(value) as Partial<Ticket>;
    if (typeof parsed.accountId !== 'string' || !Array.isArray(parsed.amr)) return undefined;
    return { accountId: parsed.accountId, amr: parsed.amr, via: String(parsed.via ?? 'password') };
  }
}

// Back-channel logout (OpenID Connect Back-Channel Logout 1.0) sent in the background: a logout
// token per client, retried with backoff, never awaited by the page that caused it. The library's
// own end-session endpoint calls the same client method, so every trigger goes through here.

import type Provider from 'oidc-provider';
import type { Configuration } from 'oidc-provider';
import type { Logger } from '../logger.ts';

export interface BackchannelOptions {
  logger: Logger;
  /** Tries per logout token, the first included. */
  attempts?: number;
  /** Wait before the first retry; each next retry waits four times longer. */
  backoffMs?: number;
  /** Told how each attempt ended (metrics). */
  onAttempt?: (outcome: 'delivered' | 'retried' | 'failed') => void;
}

type Deliver = (this: LogoutClient, sub: string, sid: string | undefined) => Promise<void>;
interface LogoutClient {
  clientId: string;
  backchannelLogoutUri?: string | undefined;
  backchannelLogout: Deliver;
}

export class BackchannelLogout {
  readonly #logger: Logger;
  readonly #attempts: number;
  readonly #backoffMs: number;
  readonly #onAttempt: NonNullable<BackchannelOptions['onAttempt']>;
  readonly #inFlight = new Set<Promise<void>>();
  #provider: Provider | undefined;

  constructor(options: BackchannelOptions) {
    this.#logger = options.logger;
    this.#attempts = options.attempts ?? 3;
    this.#backoffMs = options.backoffMs ?? 1000;
    this.#onAttempt = options.onAttempt ?? (() => {});
  }

  /**
   * Makes the provider's client method (used by its end_session) queue the delivery here and
   * return at once; the library's 'backchannel.success' then means "queued".
   */
  install(provider: Provider): void {
    this.#provider = provider;
    const proto = provider.Client.prototype as unknown as LogoutClient;
    const send = proto.backchannelLogout;
    const self = this;
    proto.backchannelLogout = function (this: LogoutClient, sub, sid) {
      self.#start(this, sub, sid, () => send.call(this, sub, sid));
      return Promise.resolve();
    };
  }

  /** Tells `clientId` that the account's session `sid` (or all its sessions) ended; returns at once. */
  notify(clientId: string, accountId: string, sid: string | undefined): void {
    const provider = this.#provider;
    if (!provider) return;
    const found = provider.Client.find(clientId).then((client) => {
      const c = client as unknown as LogoutClient | undefined;
      if (c?.backchannelLogoutUri) void c.backchannelLogout(accountId, sid);
    });
    this.#track(found.catch(() => {}));
  }

  /** Resolves when every delivery started so far has succeeded or given up (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  #track(work: Promise<void>): void {
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
  }

  #start(client: LogoutClient, sub: string, sid: string | undefined, send: () => Promise<void>) {
    const fields = { client: client.clientId, accountId: sub, sid };
    const run = async () => {
      for (let attempt = 1; ; attempt += 1) {
        try {
          await send();
          this.#onAttempt('delivered');
          this.#logger.info({ event: 'backchannel.delivered', ...fields, attempt }, 'logout sent');
          return;
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          if (attempt >= this.#attempts) {
            this.#onAttempt('failed');
            this.#logger.warn(
              { event: 'backchannel.failed', ...fields, attempt, reason },
              'back-channel logout not delivered',
            );
            return;
          }
          this.#onAttempt('retried');
          this.#logger.info({ event: 'backchannel.retry', ...fields, attempt, reason }, 'retry');
          await new Promise((r) => setTimeout(r, this.#backoffMs * 4 ** (attempt - 1)));
        }
      }
    };
    this.#track(run());
  }
}

/**
 * The provider's outgoing requests. It refuses special-use addresses (loopback, private networks)
 * as a defence against server-side request forgery; BACKCHANNEL_ALLOW_PRIVATE_NETWORK lifts that
 * for logout tokens only, for apps on the same host or private network (tests, the compose demo).
 */
export function outgoingFetch(allowPrivateNetwork: boolean): NonNullable<Configuration['fetch']> {
  return (url, options) => {
    const body = options?.body;
    const logout = body instanceof URLSearchParams && body.has('logout_token');
    if (allowPrivateNetwork && logout && options) {
      const { dispatcher: _, ...rest } = options as RequestInit & { dispatcher?: unknown };
      return globalThis.fetch(url, rest);
    }
    return globalThis.fetch(url, options);
  };
}

// When a sign-in must reach two factors: the application asks with acr_values (a level above
// urn:latchkey:acr:1fa, see assurance.ts), its registration says `require_mfa`, or the account
// chose "always ask for a second step". The login prompt asks again (step-up) when a session
// exists below the level required.
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { ACR, acrOf, satisfies } from './assurance.ts';

export interface MfaDemand {
  /** The request's acr_values, space-separated, as the relying party sent them. */
  acrValues?: string | undefined;
  /** The client's `require_mfa` from the clients file. */
  clientRequiresMfa: boolean;
  /** The account's own "always ask for a second step". */
  accountRequiresMfa: boolean;
}

/** Whether a client's registration requires two factors for every sign-in to it. */
export function clientRequiresMfa(client: unknown): boolean {
  return (client as { require_mfa?: unknown } | undefined)?.require_mfa === true;
}

/** Whether the sign-in must reach two factors (one factor does not answer the request). */
export function mfaRequired(demand: MfaDemand): boolean {
  return (
    demand.clientRequiresMfa ||
    demand.accountRequiresMfa ||
    !satisfies(ACR.oneFactor, demand.acrValues)
  );
}

/** Whether methods `amr` already reach two factors. */
export const reachesMfa = (amr: readonly string[] | undefined): boolean =>
  acrOf(amr ?? []) !== ACR.oneFactor;

/** The reason the login prompt gives when a session's sign-in is too weak for the request. */
export const STEP_UP_REASON = 'second_factor_required';

/**
 * The login prompt's extra check: a signed-in session whose methods do not reach two factors,
 * for a request that requires them. Not asked right after a sign-in in this same request, so a
 * level that cannot be reached (e.g. `phr` only, without a passkey) never loops.
 */
export function stepUpCheck(accountRequiresMfa: (accountId: string) => Promise<boolean>) {
  return new interactionPolicy.Check(
    STEP_UP_REASON,
    'a sign-in with two factors is required',
    'login_required',
    async (ctx: KoaContextWithOIDC) => {
      const { oidc } = ctx;
      const accountId = oidc.session?.accountId;
      if (!accountId || oidc.result?.login) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      if (reachesMfa(oidc.session.amr)) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      const acrValues = oidc.params?.acr_values;
      const required = mfaRequired({
        acrValues: typeof acrValues === 'string' ? acrValues : undefined,
        clientRequiresMfa: clientRequiresMfa(oidc.client),
        accountRequiresMfa: await accountRequiresMfa(accountId),
      });
      return required
        ? interactionPolicy.Check.REQUEST_PROMPT
        : interactionPolicy.Check.NO_NEED_TO_PROMPT;
    },
  );
}

/** The library's prompts with the step-up check added to `login`. */
export function interactionPolicyWithStepUp(
  accountRequiresMfa: (accountId: string) => Promise<boolean>,
) {
  const policy = interactionPolicy.base();
  policy.get('login')?.checks.add(stepUpCheck(accountRequiresMfa));
  return policy;
}

// Which grants exist without asking: first-party clients are trusted, others keep what was
// consented, and a device sign-in holds what its confirm page showed.
import type { Grant, KoaContextWithOIDC } from 'oidc-provider';
import { AlreadyUsedError } from 'oidc-provider/lib/helpers/re_render_errors.js';
import type { ConsentStore } from './consent-store.ts';

export function isFirstParty(client: unknown): boolean {
  return (client as { first_party?: unknown } | undefined)?.first_party === true;
}

/** Adds everything this authorization request asks for to the grant. */
export function grantRequested(ctx: KoaContextWithOIDC, grant: Grant): void {
  const { oidc } = ctx;
  const scope = [...oidc.requestParamOIDCScopes].join(' ');
  if (scope) grant.addOIDCScope(scope);
  const claims = [...oidc.requestParamClaims];
  if (claims.length > 0) grant.addOIDCClaims(claims);
  for (const [indicator, server] of Object.entries(oidc.resourceServers ?? {})) {
    const wanted = [...oidc.requestParamScopes].filter((s) => server.scopes.has(s));
    if (wanted.length > 0) grant.addResourceScope(indicator, wanted.join(' '));
  }
}

/**
 * A device sign-in the person has just confirmed on the confirm page, which is its consent: only
 * the device routes, and only after "Continue" marked the device code in flight.
 */
export function isConfirmedDeviceRequest(ctx: KoaContextWithOIDC): boolean {
  const route = ctx.oidc.route;
  if (route !== 'code_verification' && route !== 'device_resume') return false;
  return ctx.oidc.entities.DeviceCode?.inFlight === true;
}

/** Lets one confirmation of a device code through (device/device-claims.ts); false: taken. */
export type ClaimDeviceCode = (jti: string) => Promise<boolean>;

export function loadExistingGrant(consents: ConsentStore, claimDeviceCode?: ClaimDeviceCode) {
  return async (ctx: KoaContextWithOIDC): Promise<Grant | undefined> => {
    const { oidc } = ctx;
    const accountId = oidc.session?.accountId;
    const clientId = oidc.client?.clientId;
    if (!accountId || !clientId || !oidc.client) return undefined;

    if (isConfirmedDeviceRequest(ctx)) {
      const code = oidc.entities.DeviceCode;
      if (oidc.route === 'code_verification' && code && claimDeviceCode) {
        if (!(await claimDeviceCode(code.jti))) throw new AlreadyUsedError();
      }
      // Each device gets a grant of its own, holding what its request asked for: signing one
      // device out never touches another, and nothing is remembered for the next request.
      const grant = new oidc.provider.Grant({ accountId, clientId });
      grantRequested(ctx, grant);
      await grant.save();
      return grant;
    }

    const grantId = oidc.result?.consent?.grantId ?? oidc.session?.grantIdFor(clientId);
    if (grantId) {
      const grant = await oidc.provider.Grant.find(grantId);
      if (grant && grant.accountId === accountId && grant.clientId === clientId) {
        if (isFirstParty(oidc.client)) {
          // Saved only when the request asks for something new: SSO visits stay read-only.
          const before = JSON.stringify([grant.openid, grant.resources]);
          grantRequested(ctx, grant);
          if (JSON.stringify([grant.openid, grant.resources]) !== before) await grant.save();
        }
        return grant;
      }
    }

    const grant = new oidc.provider.Grant({ accountId, clientId });
    if (isFirstParty(oidc.client)) {
      grantRequested(ctx, grant);
    } else {
      const remembered = await consents.find(accountId, clientId);
      if (!remembered) return undefined;
      if (remembered.scope) grant.addOIDCScope(remembered.scope);
      if (remembered.claims.length > 0) grant.addOIDCClaims(remembered.claims);
      for (const [resource, scope] of Object.entries(remembered.resourceScopes)) {
        grant.addResourceScope(resource, scope);
      }
    }
    await grant.save();
    return grant;
  };
}

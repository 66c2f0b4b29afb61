// GET/PATCH /api/me: the signed-in person's profile for first-party apps, with a bearer token
// issued for this API's audience (RFC 6750 errors and WWW-Authenticate), or a DPoP-bound one
// with its proof (RFC 9449 §7).
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { AccountService } from '../accounts/account-service.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { readJsonObject } from '../http/form.ts';
import { badRequest, HttpProblem } from '../http/http-errors.ts';
import { type MessageKey, t } from '../i18n/t.ts';
import type { AccountDevices } from '../oidc/account-devices.ts';
import { isFirstParty } from '../oidc/consent-policy.ts';
import type { DpopNonces } from '../oidc/dpop-nonces.ts';
import { claimsForScopes } from '../oidc/find-account.ts';
import { checkDpopProof, DPOP_ALGORITHMS, DpopProofRefused } from './dpop-proof.ts';
import { meSessionsRoutes } from './me-sessions.ts';

export interface ApiDeps {
  provider: Provider;
  accounts: AccountService;
  /** The audience tokens must carry: `${issuer}/api`. */
  audience: string;
  /** Browser origins allowed to call the API (the relying parties' own origins). */
  corsOrigins: ReadonlySet<string>;
  /** The caller's browsers and devices (GET/DELETE /api/me/sessions). */
  devices: AccountDevices;
  recentSignInSeconds: number;
  /** The public URL this API's paths hang from (the issuer): DPoP proofs name it in htu. */
  issuer: string;
  /** This API's own DPoP nonces. */
  dpopNonces: DpopNonces;
  /** Where signing a device out through the API is recorded. */
  audit: AuditLog;
}

interface Caller {
  accountId: string;
  scopes: ReadonlySet<string>;
  sessionUid: string | undefined;
}

const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

export function apiRoutes(deps: ApiDeps): Router {
  const { provider, accounts, audience } = deps;
  const realm = audience;
  const router = new Router({ prefix: '/api' });

  function unauthorized(error?: string, description?: MessageKey): HttpProblem {
    const parts = [`realm="${realm}"`];
    if (error) parts.push(`error="${error}"`);
    if (description) parts.push(`error_description="${t(description)}"`);
    return new HttpProblem(
      401,
      error ?? 'unauthorized',
      description ?? 'api.token_required',
      {},
      { 'WWW-Authenticate': `Bearer ${parts.join(', ')}` },
    );
  }

  /** A refusal under the DPoP scheme (RFC 9449 §7.1); use_dpop_nonce hands out a fresh nonce. */
  function dpopRefused(error: string, description: MessageKey): HttpProblem {
    const challenge = `DPoP realm="${realm}", error="${error}", error_description="${t(description)}", algs="${DPOP_ALGORITHMS.join(' ')}"`;
    const headers: Record<string, string> = { 'WWW-Authenticate': challenge };
    if (error === 'use_dpop_nonce') headers['DPoP-Nonce'] = deps.dpopNonces.current();
    return new HttpProblem(401, error, description, {}, headers);
  }

  /** A DPoP-bound token is only good with a proof by its key, for this request, seen once. */
  async function checkProof(ctx: Context, accessToken: string, jkt: string): Promise<void> {
    const proof = ctx.get('dpop');
    // Two DPoP headers arrive joined by a comma, which a compact JWT never contains.
    if (proof === '' || proof.includes(',')) {
      throw dpopRefused('invalid_dpop_proof', 'api.dpop_proof_missing');
    }
    try {
      await checkDpopProof({
        proof,
        method: ctx.method,
        url: `${deps.issuer}${ctx.path}`,
        accessToken,
        jkt,
        nonces: deps.dpopNonces,
        firstUse: (key, jti, until) => provider.ReplayDetection.unique(`api:${key}`, jti, until),
      });
    } catch (error) {
      if (!(error instanceof DpopProofRefused)) throw error;
      if (error.reason === 'nonce') throw dpopRefused('use_dpop_nonce', 'api.dpop_nonce');
      throw dpopRefused('invalid_dpop_proof', `api.dpop_${error.reason}`);
    }
  }

  /** Resolves the bearer or DPoP token; it must carry at least one of `anyScope`. */
  async function authenticate(ctx: Context, anyScope: readonly string[]): Promise<Caller> {
    const header = ctx.get('authorization');
    const match = /^(Bearer|DPoP) +(\S+)$/i.exec(header);
    if (!match) {
      if (header === '' || !/^(Bearer|DPoP)\b/i.test(header)) throw unauthorized();
      throw unauthorized('invalid_request', 'api.malformed_header');
    }
    const dpop = (match[1] as string).toLowerCase() === 'dpop';
    const value = match[2] as string;
    const token = TOKEN68.test(value) ? await provider.AccessToken.find(value) : undefined;
    if (!token) {
      if (dpop) throw dpopRefused('invalid_token', 'api.token_invalid');
      throw unauthorized('invalid_token', 'api.token_invalid');
    }
    if (token.aud !== audience && !(Array.isArray(token.aud) && token.aud.includes(audience))) {
      throw unauthorized('invalid_token', 'api.wrong_audience');
    }
    if (token['x5t#S256']) throw unauthorized('invalid_token', 'api.sender_constrained');
    // RFC 9449 §7.2: a bound token sent as a bearer token is refused, and so is the reverse.
    if (token.jkt && !dpop) throw dpopRefused('invalid_token', 'api.dpop_required');
    if (!token.jkt && dpop) throw unauthorized('invalid_token', 'api.dpop_not_bound');
    if (token.jkt) await checkProof(ctx, value, token.jkt);
    // Tokens for this audience are only issued to first-party clients; one minted for another
    // client (before that policy, or by any mistake) is refused all the same.
    if (!isFirstParty(await provider.Client.find(token.clientId ?? ''))) {
      throw unauthorized('invalid_token', 'api.not_first_party');
    }
    const grant = await provider.Grant.find(token.grantId ?? '');
    if (!grant || grant.accountId !== token.accountId || grant.clientId !== token.clientId) {
      throw unauthorized('invalid_token', 'api.token_revoked');
    }
    if (!anyScope.some((s) => token.scopes.has(s))) {
      const wanted = anyScope.join(' ');
      throw new HttpProblem(
        403,
        'insufficient_scope',
        'api.scope_needed',
        { scope: wanted },
        {
          'WWW-Authenticate': `Bearer realm="${realm}", error="insufficient_scope", scope="${wanted}"`,
        },
      );
    }
    return { accountId: token.accountId, scopes: token.scopes, sessionUid: token.sessionUid };
  }

  async function profileOf(caller: Caller) {
    const profile = await accounts.findProfile(caller.accountId);
    if (!profile) throw unauthorized('invalid_token', 'api.account_gone');
    return claimsForScopes(profile, caller.scopes);
  }

  // Browsers: only the relying parties' own origins, no cookies (tokens travel in headers).
  function allowOrigin(ctx: Context): boolean {
    ctx.vary('Origin');
    const origin = ctx.get('origin');
    if (!origin || !deps.corsOrigins.has(origin)) return false;
    ctx.set('Access-Control-Allow-Origin', origin);
    ctx.set('Access-Control-Expose-Headers', 'WWW-Authenticate, DPoP-Nonce');
    return true;
  }

  router.use(async (ctx, next) => {
    allowOrigin(ctx);
    await next();
  });

  router.options(['/me', '/me/sessions', '/me/sessions/:id'], (ctx) => {
    if (allowOrigin(ctx)) {
      ctx.set('Access-Control-Allow-Methods', 'GET, PATCH, DELETE');
      ctx.set('Access-Control-Allow-Headers', 'Authorization, Content-Type, DPoP');
      ctx.set('Access-Control-Max-Age', '600');
    }
    ctx.set('Allow', 'GET, PATCH, DELETE, OPTIONS');
    ctx.status = 204;
  });

  router.get('/me', async (ctx) => {
    const caller = await authenticate(ctx, ['profile', 'email']);
    ctx.body = await profileOf(caller);
  });

  router.patch('/me', async (ctx) => {
    const caller = await authenticate(ctx, ['profile']);
    const body = await readJsonObject(ctx);
    const unknown = Object.keys(body).filter((k) => k !== 'name' && k !== 'picture');
    if (unknown.length > 0) throw badRequest('api.unknown_fields', { fields: unknown.join(', ') });
    const { name, picture } = body;
    if (name !== undefined && typeof name !== 'string') throw badRequest('api.name_type');
    if (picture !== undefined && picture !== null && typeof picture !== 'string') {
      throw badRequest('api.picture_type');
    }
    await accounts.updateProfile(caller.accountId, {
      ...(name === undefined ? {} : { name }),
      ...(picture === undefined ? {} : { picture: picture as string | null }),
    });
    ctx.body = await profileOf(caller);
  });

  meSessionsRoutes(router, {
    provider,
    devices: deps.devices,
    recentSignInSeconds: deps.recentSignInSeconds,
    audit: deps.audit,
    authenticate,
  });

  return router;
}

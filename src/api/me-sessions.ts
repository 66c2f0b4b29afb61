// GET /api/me/sessions and DELETE /api/me/sessions/:id: the caller's browsers and devices, as on
// the account page, for first-party apps. Ids are opaque handles (never cookie values or tokens).
import type Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { AuditLog } from '../audit/audit-log.ts';
import { HttpProblem } from '../http/http-errors.ts';
import type { AccountDevices } from '../oidc/account-devices.ts';

export interface SessionsCaller {
  accountId: string;
  /** The session the token was issued in (the "current" entry), when it came from one. */
  sessionUid: string | undefined;
}

export interface MeSessionsDeps {
  provider: Provider;
  devices: AccountDevices;
  /** How old the token's sign-in may be to sign a device out (RECENT_SIGN_IN_SECONDS). */
  recentSignInSeconds: number;
  audit: AuditLog;
  authenticate(ctx: Context, anyScope: readonly string[]): Promise<SessionsCaller>;
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export function meSessionsRoutes(router: Router, deps: MeSessionsDeps): void {
  const { devices } = deps;

  router.get('/me/sessions', async (ctx) => {
    const caller = await deps.authenticate(ctx, ['profile', 'email']);
    const entries = await devices.list(caller.accountId, { sessionUid: caller.sessionUid });
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      sessions: entries.map((e) => ({
        id: e.id,
        kind: e.kind,
        device: e.device || null,
        ip: e.ip || null,
        signed_in_at: iso(e.signedInAt),
        method: e.method ?? null,
        last_active_at: iso(e.lastActiveAt),
        apps: e.apps.map((a) => ({ client_id: a.clientId, name: a.name })),
        current: e.current,
      })),
    };
  });

  // The same rule as the account page, judged on the sign-in of the session the token came from.
  router.delete('/me/sessions/:id', async (ctx) => {
    const caller = await deps.authenticate(ctx, ['profile']);
    const session = caller.sessionUid
      ? await deps.provider.Session.findByUid(caller.sessionUid)
      : undefined;
    const loginTs = session?.accountId === caller.accountId ? session.loginTs : undefined;
    if (loginTs === undefined || Date.now() / 1000 - loginTs > deps.recentSignInSeconds) {
      throw new HttpProblem(403, 'login_required', 'devices.api_recent_sign_in', {
        seconds: deps.recentSignInSeconds,
      });
    }
    const id = String(ctx.params.id).slice(0, 200);
    if (!(await devices.signOut(caller.accountId, id))) {
      throw new HttpProblem(404, 'not_found', 'devices.api_not_found');
    }
    ctx.state.log.info(
      { event: 'device.signed_out', accountId: caller.accountId, via: 'api' },
      'device signed out',
    );
    deps.audit.record({
      type: 'sessions.revoked',
      accountId: caller.accountId,
      details: { scope: 'one', via: 'api' },
    });
    ctx.status = 204;
  });
}

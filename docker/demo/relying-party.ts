// What both demo apps do first: discover the issuer and fetch its keys for logout tokens.
import { createRemoteJWKSet } from 'jose';
import * as client from 'openid-client';
import type { DemoConfig } from './demo-config.ts';
import type { DemoLog } from './demo-log.ts';
import { type LogoutTokenCheck, ReplayGuard } from './logout-token.ts';

export interface RelyingParty {
  rp: client.Configuration;
  logoutCheck: LogoutTokenCheck;
}

/** Public client (PKCE, no secret). Plain http is accepted only for a loopback issuer. */
export async function discoverIssuer(config: DemoConfig): Promise<RelyingParty> {
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(config.issuer.hostname);
  const insecure = config.issuer.protocol === 'http:';
  if (insecure && !loopback && process.env.ALLOW_INSECURE_ISSUER !== 'true') {
    throw new Error(`ISSUER ${config.issuer} is plain http on a non-loopback host`);
  }
  const rp = await client.discovery(
    config.issuer,
    config.clientId,
    undefined,
    client.None(),
    insecure ? { execute: [client.allowInsecureRequests] } : undefined,
  );
  const meta = rp.serverMetadata();
  if (!meta.jwks_uri) throw new Error('the issuer publishes no jwks_uri');
  return {
    rp,
    logoutCheck: {
      issuer: meta.issuer,
      clientId: config.clientId,
      keys: createRemoteJWKSet(new URL(meta.jwks_uri)),
      seen: new ReplayGuard(),
    },
  };
}

/** Waits for the issuer (compose starts the apps beside it), retrying discovery for a while. */
export async function discoverWithRetry(config: DemoConfig, log: DemoLog) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await discoverIssuer(config);
    } catch (error) {
      if (attempt >= 60) throw error;
      log('discovery.retry', { attempt, error: String(error) });
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

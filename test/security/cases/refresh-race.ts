// A refresh token used by many requests at once starts one token family at most.
import { setTimeout as sleep } from 'node:timers/promises';
import { OFFLINE } from '../../support/oidc.ts';
import { TEST_CLIENTS } from '../../support/server.ts';
import { atOnce, freshCode, refresh, userinfoStatus } from '../../support/tokens.ts';
import type { SecurityCase } from '../run.ts';

const PARALLEL = 20;
const c = TEST_CLIENTS.firstParty;

async function refreshToken(issuer: string): Promise<string> {
  const { exchange } = await freshCode(issuer, c, OFFLINE);
  return (await exchange()).data.refresh_token as string;
}

export default {
  name: 'refresh token single use',
  async run(harness) {
    const findings = [];

    const strict = await harness.server({ REFRESH_REUSE_GRACE_SECONDS: '0' });
    const token = await refreshToken(strict.issuer);
    const replies = await atOnce(PARALLEL, () => refresh(strict.issuer, c, token));
    const won = replies.filter((r) => r.status === 200);
    const families = new Set(won.map((r) => r.data.refresh_token)).size;
    let alive = 0;
    for (const r of won) {
      if ((await refresh(strict.issuer, c, r.data.refresh_token as string)).status === 200) {
        alive += 1;
      }
    }
    findings.push({
      line: `refresh, no grace window: ${PARALLEL} concurrent -> ${families} family(ies), ${alive} still usable after the reuse`,
      held: families <= 1 && alive === 0,
    });

    const graceful = await harness.server();
    const shared = await refreshToken(graceful.issuer);
    const answers = await atOnce(PARALLEL, () => refresh(graceful.issuer, c, shared));
    const ok = answers.filter((r) => r.status === 200).length;
    const pairs = new Set(answers.map((r) => `${r.data.access_token} ${r.data.refresh_token}`));
    findings.push({
      line: `refresh, 30 s grace window: ${PARALLEL} concurrent -> ${ok} answered, ${pairs.size} distinct token pair(s)`,
      held: ok === PARALLEL && pairs.size === 1,
    });

    const short = await harness.server({ REFRESH_REUSE_GRACE_SECONDS: '1' });
    const old = await refreshToken(short.issuer);
    const rotated = await refresh(short.issuer, c, old);
    await sleep(1200);
    const reuse = await refresh(short.issuer, c, old);
    const newest = await refresh(short.issuer, c, rotated.data.refresh_token as string);
    const access = await userinfoStatus(short.issuer, rotated.data.access_token);
    findings.push({
      line: `refresh after the window: rotated token again -> ${String(reuse.data.error ?? reuse.status)}, newest refresh token ${newest.status === 200 ? 'still usable' : 'revoked'}, its access token ${access === 200 ? 'still valid' : 'revoked'}`,
      held: reuse.data.error === 'invalid_grant' && newest.status === 400 && access === 401,
    });
    return findings;
  },
} satisfies SecurityCase;

// An authorization code redeemed by many requests at once yields one token set at most.

import { TEST_CLIENTS } from '../../support/server.ts';
import { atOnce, freshCode, userinfoStatus } from '../../support/tokens.ts';
import type { SecurityCase } from '../run.ts';

const PARALLEL = 20;

export default {
  name: 'authorization code single use',
  async run(harness) {
    const server = await harness.server();
    const c = TEST_CLIENTS.firstParty;
    const { exchange } = await freshCode(server.issuer, c, { scope: 'openid' });
    const replies = await atOnce(PARALLEL, exchange);
    const sets = replies.filter((r) => r.status === 200);
    const refused = replies.filter((r) => r.status === 400 && r.data.error === 'invalid_grant');
    const findings = [
      {
        line: `code: ${PARALLEL} concurrent redemptions -> ${sets.length} token set(s), ${refused.length} invalid_grant`,
        held: sets.length <= 1 && sets.length + refused.length === PARALLEL,
      },
    ];
    for (const set of sets) {
      const status = await userinfoStatus(server.issuer, set.data.access_token);
      findings.push({
        line: `code: the token set of a replayed code -> access token ${status === 401 ? 'revoked' : 'still valid'}`,
        held: status === 401,
      });
    }
    return findings;
  },
} satisfies SecurityCase;

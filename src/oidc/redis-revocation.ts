// Revoking a grant's records in batches, and the errors a second redemption of a code or token
// ends with.
import { errors } from 'oidc-provider';
import { grantIndexKey } from './redis-keys.ts';
import { deleteRecord } from './redis-records.ts';
import type { Scripted } from './redis-scripts.ts';

/** Records revoked per batch, so revoking a huge grant never blocks Redis for long. */
export const REVOKE_BATCH_SIZE = 100;

/**
 * Removes every record of a grant and their uid and user-code indexes, a batch at a time: each
 * batch's records are deleted (each in its own slot) before they leave the grant index, so a
 * failure half-way leaves them listed for the next attempt, never a record outside the index.
 */
export async function revokeByGrantId(
  redis: Scripted,
  prefix: string,
  grantId: string,
): Promise<void> {
  const index = grantIndexKey(prefix, grantId);
  let members: string[];
  do {
    members = await redis.zrange(index, 0, REVOKE_BATCH_SIZE - 1);
    if (members.length === 0) return;
    await Promise.all(
      members.map((key) => {
        const colon = key.indexOf(':', prefix.length);
        const model = key.slice(prefix.length, colon);
        return deleteRecord(redis, prefix, model, key.slice(colon + 1), { keepGrantIndex: true });
      }),
    );
    await redis.latchkeyIndexRemove(index, Date.now(), ...members);
  } while (members.length === REVOKE_BATCH_SIZE);
}

/** What the library does on a replay: revoke every record of the grant, then the grant. */
export async function revokeGrant(redis: Scripted, prefix: string, grantId: string): Promise<void> {
  await revokeByGrantId(redis, prefix, grantId);
  await deleteRecord(redis, prefix, 'Grant', grantId);
}

const CONSUMED_LABEL: Record<string, string> = {
  AuthorizationCode: 'authorization code already consumed',
  RefreshToken: 'refresh token already used',
  DeviceCode: 'device code already consumed',
  BackchannelAuthenticationRequest: 'backchannel authentication request already consumed',
  PreAuthorizedCode: 'pre-authorized code already consumed',
};

/**
 * A second redemption of a code or refresh token that lost the race to a concurrent one. The
 * library only sees `consumed` on records it loads after the winner consumed them; a request that
 * loaded the record earlier is stopped here, with the grant already revoked as on any replay.
 */
export class AlreadyConsumed extends errors.InvalidGrant {
  readonly grantId: string | undefined;

  constructor(model: string, grantId: string | undefined) {
    super(CONSUMED_LABEL[model] ?? 'grant source already consumed');
    this.grantId = grantId;
  }
}

export function notConsumable(model: string): Error {
  // The record expired or its grant was revoked between the library's find and its consume.
  if (model === 'PushedAuthorizationRequest') {
    return new errors.InvalidRequestUri('request_uri is invalid, expired, or was already used');
  }
  return new errors.InvalidGrant('grant source no longer exists');
}

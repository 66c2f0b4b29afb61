// Every migration, in order; the data source loads this list instead of scanning the disk.
import { InitialSchema1763769600000 } from './1763769600000-initial-schema.ts';
import { KeysEncryptedAtRest1796428800000 } from './1796428800000-keys-encrypted-at-rest.ts';
import { UpstreamUsernames1796601600000 } from './1796601600000-upstream-usernames.ts';
import { EmailOwnership1796774400000 } from './1796774400000-email-ownership.ts';
import { SecondFactor1796860800000 } from './1796860800000-second-factor.ts';
import { Passkeys1796947200000 } from './1796947200000-passkeys.ts';
import { AuditEvents1797033600000 } from './1797033600000-audit-events.ts';

export const migrations = [
  InitialSchema1763769600000,
  KeysEncryptedAtRest1796428800000,
  UpstreamUsernames1796601600000,
  EmailOwnership1796774400000,
  SecondFactor1796860800000,
  Passkeys1796947200000,
  AuditEvents1797033600000,
];

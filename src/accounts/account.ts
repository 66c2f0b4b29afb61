// The account record: the stable id is the OpenID Connect `sub`.
import { EntitySchema } from 'typeorm';

export interface Account {
  id: string;
  email: string | null;
  emailVerified: boolean;
  /** bcrypt hash; null for accounts that only sign in through an upstream provider. */
  passwordHash: string | null;
  name: string | null;
  picture: string | null;
  /** Created by sign-up and not yet confirmed from the address: it cannot be signed in to. */
  signUpPending: boolean;
  /**
   * "Always ask for a second step". Read-only here: only second-factors.ts writes it (SQL), so a
   * save of a loaded account can never put back an older value.
   */
  mfaRequired: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** What other parts of the system may see of an account: never the password hash. */
export interface Profile {
  id: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  picture: string | null;
  updatedAt: Date;
  /** The account's "always ask for a second step" (the step-up check reads it); never a claim. */
  mfaRequired: boolean;
}

export function toProfile(account: Account): Profile {
  return {
    id: account.id,
    email: account.email,
    emailVerified: account.emailVerified,
    name: account.name,
    picture: account.picture,
    updatedAt: account.updatedAt,
    mfaRequired: account.mfaRequired,
  };
}

export const AccountEntity = new EntitySchema<Account>({
  name: 'Account',
  tableName: 'accounts',
  columns: {
    id: { type: 'uuid', primary: true },
    email: { type: 'text', nullable: true },
    emailVerified: { name: 'email_verified', type: 'boolean', default: false },
    passwordHash: { name: 'password_hash', type: 'text', nullable: true },
    name: { type: 'text', nullable: true },
    picture: { type: 'text', nullable: true },
    signUpPending: { name: 'signup_pending', type: 'boolean', default: false },
    mfaRequired: {
      name: 'mfa_required',
      type: 'boolean',
      default: false,
      insert: false,
      update: false,
    },
    createdAt: { name: 'created_at', type: 'timestamptz', createDate: true },
    updatedAt: { name: 'updated_at', type: 'timestamptz', updateDate: true },
  },
});

export interface UpstreamLink {
  id: string;
  accountId: string;
  /** The upstream's id (`google`, `facebook`, `x`); the column keeps its first name. */
  upstream: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  /** The handle the upstream shows for the person (X's username), when it gives one. */
  username: string | null;
  createdAt: Date;
  updatedAt: Date;
  lastLoginAt: Date | null;
}

export const UpstreamLinkEntity = new EntitySchema<UpstreamLink>({
  name: 'UpstreamLink',
  tableName: 'federated_identities',
  columns: {
    id: { type: 'uuid', primary: true },
    accountId: { name: 'account_id', type: 'uuid' },
    upstream: { name: 'provider', type: 'text' },
    subject: { type: 'text' },
    email: { type: 'text', nullable: true },
    emailVerified: { name: 'email_verified', type: 'boolean', default: false },
    username: { type: 'text', nullable: true },
    createdAt: { name: 'created_at', type: 'timestamptz', createDate: true },
    updatedAt: { name: 'updated_at', type: 'timestamptz', updateDate: true },
    lastLoginAt: { name: 'last_login_at', type: 'timestamptz', nullable: true },
  },
});

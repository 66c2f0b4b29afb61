// claimsForScopes: what an ID token or userinfo response may reveal about an account, by scope;
// findAccount: where the profile behind them is read.
import { expect } from 'chai';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Account, Profile } from '../../src/accounts/account.ts';
import type { AccountService } from '../../src/accounts/account-service.ts';
import { ProfileCache } from '../../src/accounts/profile-cache.ts';
import { claimsForScopes, findAccount } from '../../src/oidc/find-account.ts';

const UPDATED_AT = new Date('2024-05-06T07:08:09.999Z');
const UPDATED_AT_SECONDS = 1714979289;

function profile(overrides: Partial<Profile> = {}): Profile {
  return {
    id: '4f6c1c7e-2b0a-4d5e-9a43-0c8f2d1b7a55',
    email: 'ada@example.com',
    emailVerified: true,
    name: 'Ada Lovelace',
    picture: 'https://img.example.com/ada.png',
    updatedAt: UPDATED_AT,
    mfaRequired: false,
    ...overrides,
  };
}

const scopes = (...names: string[]) => new Set(names);

describe('claimsForScopes', () => {
  it('reveals only the subject for the openid scope', () => {
    expect(claimsForScopes(profile(), scopes('openid'))).to.deep.equal({
      sub: '4f6c1c7e-2b0a-4d5e-9a43-0c8f2d1b7a55',
    });
  });

  it('always includes the subject, even with no scopes at all', () => {
    expect(claimsForScopes(profile(), scopes())).to.deep.equal({
      sub: '4f6c1c7e-2b0a-4d5e-9a43-0c8f2d1b7a55',
    });
  });

  it('adds name, picture and update time in whole seconds for the profile scope', () => {
    expect(claimsForScopes(profile(), scopes('openid', 'profile'))).to.deep.equal({
      sub: '4f6c1c7e-2b0a-4d5e-9a43-0c8f2d1b7a55',
      name: 'Ada Lovelace',
      picture: 'https://img.example.com/ada.png',
      updated_at: UPDATED_AT_SECONDS,
    });
  });

  it('adds the email and whether it is verified for the email scope', () => {
    expect(claimsForScopes(profile(), scopes('openid', 'email'))).to.deep.equal({
      sub: '4f6c1c7e-2b0a-4d5e-9a43-0c8f2d1b7a55',
      email: 'ada@example.com',
      email_verified: true,
    });
    expect(
      claimsForScopes(profile({ emailVerified: false }), scopes('openid', 'email')),
    ).to.deep.equal({
      sub: '4f6c1c7e-2b0a-4d5e-9a43-0c8f2d1b7a55',
      email: 'ada@example.com',
      email_verified: false,
    });
  });

  it('combines profile and email claims when both scopes are granted', () => {
    expect(claimsForScopes(profile(), scopes('openid', 'profile', 'email'))).to.deep.equal({
      sub: '4f6c1c7e-2b0a-4d5e-9a43-0c8f2d1b7a55',
      name: 'Ada Lovelace',
      picture: 'https://img.example.com/ada.png',
      updated_at: UPDATED_AT_SECONDS,
      email: 'ada@example.com',
      email_verified: true,
    });
  });

  it('leaves out a missing name and picture instead of sending null', () => {
    const claims = claimsForScopes(profile({ name: null, picture: null }), scopes('profile'));
    expect(claims).to.deep.equal({
      sub: '4f6c1c7e-2b0a-4d5e-9a43-0c8f2d1b7a55',
      updated_at: UPDATED_AT_SECONDS,
    });
    expect(claims).to.not.have.any.keys('name', 'picture');
  });

  it('leaves out email and email_verified for an account without an email', () => {
    const claims = claimsForScopes(profile({ email: null, emailVerified: false }), scopes('email'));
    expect(claims).to.deep.equal({ sub: '4f6c1c7e-2b0a-4d5e-9a43-0c8f2d1b7a55' });
    expect(Object.values(claims)).to.not.include(null);
  });

  it('ignores scopes it does not know', () => {
    expect(claimsForScopes(profile(), scopes('openid', 'address', 'phone', 'admin'))).to.deep.equal(
      { sub: '4f6c1c7e-2b0a-4d5e-9a43-0c8f2d1b7a55' },
    );
  });

  it('never copies the password hash or other account fields, even when handed a full account', () => {
    const account: Account = {
      ...profile(),
      passwordHash: '$2b$12$abcdefghijklmnopqrstuuJ3cF7CW2y7x8p3xq9P0Gx0yX1H3bGqK',
      signUpPending: false,
      createdAt: new Date('2020-01-01T00:00:00Z'),
    };
    const claims = claimsForScopes(account, scopes('openid', 'profile', 'email'));
    expect(Object.keys(claims).sort()).to.deep.equal([
      'email',
      'email_verified',
      'name',
      'picture',
      'sub',
      'updated_at',
    ]);
    expect(JSON.stringify(claims)).to.not.contain('$2b$');
  });
});

// findAccount: where the profile behind the claims is read from (DATABASE_READ_URL).
describe('findAccount', () => {
  const ID = profile().id;
  function accounts() {
    const reads: string[] = [];
    const service = {
      reads,
      findProfile: async (id: string) => {
        reads.push('primary');
        return profile({ id });
      },
      findProfileOnReplica: async (id: string) => {
        reads.push('replica');
        return profile({ id });
      },
    };
    return service;
  }
  // Only the two reads are used; the rest of AccountService is not needed here.
  const asService = (s: ReturnType<typeof accounts>) => s as unknown as AccountService;
  const ctx = {} as KoaContextWithOIDC;

  it('reads the replica, but the primary for an account changed a moment ago', async () => {
    const service = accounts();
    const cache = new ProfileCache({ ttlSeconds: 0 });
    const find = findAccount(asService(service), cache);
    expect((await find(ctx, ID))?.accountId).to.equal(ID);
    cache.changed(ID);
    await find(ctx, ID);
    expect(service.reads).to.deep.equal(['replica', 'primary']);
  });

  it('reads the primary when there is no cache to hear of changes', async () => {
    const service = accounts();
    await findAccount(asService(service))(ctx, ID);
    expect(service.reads).to.deep.equal(['primary']);
  });
});

// The consent page says exactly what a grant allows: reading is "see", writing says "change".
import { expect } from 'chai';
import { describeScopes, groupByResource } from '../../src/interactions/scope-descriptions.ts';

const API = 'https://id.example.com/api';

describe('consent wording', () => {
  it('describes the OpenID scopes as reading only', () => {
    const lines = describeScopes(['openid', 'profile', 'email'], {}, { apiAudience: API });
    expect(lines.map((l) => l.description)).to.deep.equal([
      'Know who you are on this service (a stable account identifier)',
      'See your name and profile picture',
      'See your email address',
    ]);
    for (const line of lines) expect(line.description).not.to.match(/change/i);
  });

  it("says that the API's profile scope can change the name and picture", () => {
    const [profile, email] = describeScopes(
      [],
      { [API]: ['profile', 'email'] },
      { apiAudience: API },
    );
    expect(profile?.description).to.match(/^See and change your name and profile picture/);
    expect(email?.description).to.match(/^See your email address/);
    expect(email?.description).not.to.match(/change/i);
  });

  it('never describes an unknown resource as read-only', () => {
    const [line] = describeScopes(
      [],
      { 'https://other.example/': ['write'] },
      { apiAudience: API },
    );
    expect(line?.description).to.include('https://other.example/');
    expect(line?.description).to.include('changing');
  });
});

describe('consent wording for the configured APIs', () => {
  const catalogue = {
    apiAudience: API,
    describe: (audience: string, scope: string) =>
      audience === 'https://orders.example.com' && scope === 'orders:read'
        ? 'See your orders'
        : undefined,
    nameOf: (audience: string) =>
      audience === 'https://orders.example.com' ? 'Orders' : undefined,
  };

  it("uses the API's own description and names the API each scope is for", () => {
    const lines = describeScopes(
      ['openid'],
      { 'https://orders.example.com': ['orders:read'] },
      catalogue,
    );
    expect(lines).to.deep.equal([
      {
        scope: 'openid',
        description: 'Know who you are on this service (a stable account identifier)',
      },
      {
        scope: 'https://orders.example.com orders:read',
        description: 'See your orders',
        resource: 'Orders',
      },
    ]);
  });

  it('groups the lines by API, the OpenID ones first', () => {
    const lines = describeScopes(
      ['openid'],
      { 'https://orders.example.com': ['orders:read'], [API]: ['profile'] },
      catalogue,
    );
    expect(groupByResource(lines).map((g) => [g.resource, g.lines.length])).to.deep.equal([
      [undefined, 1],
      ['Orders', 1],
      [API, 1],
    ]);
  });
});

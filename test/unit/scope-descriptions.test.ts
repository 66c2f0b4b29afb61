// The consent page says exactly what a grant allows: reading is "see", writing says "change".
import { expect } from 'chai';
import { describeScopes } from '../../src/interactions/scope-descriptions.ts';

const API = 'https://id.example.com/api';

describe('consent wording', () => {
  it('describes the OpenID scopes as reading only', () => {
    const lines = describeScopes(['openid', 'profile', 'email'], {}, API);
    expect(lines.map((l) => l.description)).to.deep.equal([
      'Know who you are on this service (a stable account identifier)',
      'See your name and profile picture',
      'See your email address',
    ]);
    for (const line of lines) expect(line.description).not.to.match(/change/i);
  });

  it("says that the API's profile scope can change the name and picture", () => {
    const [profile, email] = describeScopes([], { [API]: ['profile', 'email'] }, API);
    expect(profile?.description).to.match(/^See and change your name and profile picture/);
    expect(email?.description).to.match(/^See your email address/);
    expect(email?.description).not.to.match(/change/i);
  });

  it('never describes an unknown resource as read-only', () => {
    const [line] = describeScopes([], { 'https://other.example/': ['write'] }, API);
    expect(line?.description).to.include('https://other.example/');
    expect(line?.description).to.include('changing');
  });
});

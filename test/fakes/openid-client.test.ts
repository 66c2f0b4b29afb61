// The fakes driven by openid-client, the library Latchkey uses: each speaks what it expects.
import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import * as oidc from 'openid-client';
import { type FakeFacebook, startFakeFacebook } from './facebook.ts';
import { type FakeGoogle, startFakeGoogle } from './google.ts';
import * as http from './http.ts';
import type { FakeClient } from './shared.ts';
import { type FakeX, startFakeX } from './x.ts';

describe('the fakes with openid-client', () => {
  const insecure = { execute: [oidc.allowInsecureRequests] };
  const google: FakeClient = {
    clientId: 'latchkey-google',
    clientSecret: 'google+secret/1',
    redirectUris: ['http://localhost:3000/federation/google/callback'],
  };
  const facebook: FakeClient = {
    clientId: '998877665544',
    clientSecret: 'facebook-secret',
    redirectUris: ['http://localhost:3000/federation/facebook/callback'],
  };
  const x: FakeClient = {
    clientId: 'latchkey-x',
    clientSecret: 'x+secret/1',
    redirectUris: ['http://localhost:3000/federation/x/callback'],
  };
  let fakeGoogle: FakeGoogle;
  let fakeFacebook: FakeFacebook;
  let fakeX: FakeX;

  before(async () => {
    [fakeGoogle, fakeFacebook, fakeX] = await Promise.all([
      startFakeGoogle({ clients: [google] }),
      startFakeFacebook({ clients: [facebook] }),
      startFakeX({ clients: [x] }),
    ]);
  });
  after(async () => {
    await Promise.all([fakeGoogle?.close(), fakeFacebook?.close(), fakeX?.close()]);
  });

  /** Sends the browser to the authorization URL and returns the callback URL it lands on. */
  async function signIn(config: oidc.Configuration, params: Record<string, string>) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ...params,
    });
    const callback = http.locationOf(await http.get(url.href));
    return { callback, checks: { pkceCodeVerifier: verifier, expectedState: state } };
  }

  it('signs in with Google through discovery, client_secret_basic, id_token and userinfo', async () => {
    fakeGoogle.signInAs(http.alice);
    const config = await oidc.discovery(
      new URL(fakeGoogle.issuer),
      google.clientId,
      undefined,
      oidc.ClientSecretBasic(google.clientSecret),
      insecure,
    );
    const nonce = oidc.randomNonce();
    const { callback, checks } = await signIn(config, {
      redirect_uri: google.redirectUris[0] as string,
      scope: 'openid email profile',
      nonce,
    });
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      ...checks,
      expectedNonce: nonce,
    });
    const claims = tokens.claims();
    expect(claims).to.include({ sub: http.alice.sub, email_verified: true, hd: 'example.com' });
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, http.alice.sub);
    expect(userinfo.email).to.equal(http.alice.email);
  });

  it('emits a legacy issuer that openid-client refuses by default, so the knob bites', async () => {
    fakeGoogle.signInAs(http.alice);
    const config = await oidc.discovery(
      new URL(fakeGoogle.issuer),
      google.clientId,
      undefined,
      oidc.ClientSecretPost(google.clientSecret),
      insecure,
    );
    const { callback, checks } = await signIn(config, {
      redirect_uri: google.redirectUris[0] as string,
      scope: 'openid email',
    });
    fakeGoogle.failNext('legacy_iss');
    let error: unknown;
    try {
      await oidc.authorizationCodeGrant(config, callback, checks);
    } catch (caught) {
      error = caught;
    }
    const failure = error as { code?: string; cause?: { cause?: { claim?: string } } };
    expect(failure.code).to.equal('OAUTH_JWT_CLAIM_COMPARISON_FAILED');
    expect(failure.cause?.cause?.claim).to.equal('iss');
  });

  it('signs in with Facebook using client_secret_post, a pinned version and appsecret_proof', async () => {
    fakeFacebook.signInAs({ sub: '10150001', name: 'Ivy', email: 'ivy@example.com' });
    const config = new oidc.Configuration(
      {
        issuer: 'https://www.facebook.com',
        authorization_endpoint: fakeFacebook.endpoints.authorization,
        token_endpoint: fakeFacebook.endpoints.token,
      },
      facebook.clientId,
      undefined,
      oidc.ClientSecretPost(facebook.clientSecret),
    );
    oidc.allowInsecureRequests(config);
    const { callback, checks } = await signIn(config, {
      redirect_uri: facebook.redirectUris[0] as string,
      scope: 'email,public_profile',
    });
    const tokens = await oidc.authorizationCodeGrant(config, callback, checks);
    const profileUrl = new URL(fakeFacebook.endpoints.profile);
    profileUrl.searchParams.set('fields', 'id,name,email,picture');
    profileUrl.searchParams.set(
      'appsecret_proof',
      createHmac('sha256', facebook.clientSecret).update(tokens.access_token).digest('hex'),
    );
    const response = await oidc.fetchProtectedResource(
      config,
      tokens.access_token,
      profileUrl,
      'GET',
    );
    expect(await response.json()).to.include({ id: '10150001', email: 'ivy@example.com' });
  });

  it('signs in with X using client_secret_basic, and fails with client_secret_post', async () => {
    fakeX.signInAs({ sub: '1500000000000000001', name: 'Jay', username: 'jay' });
    const server = {
      issuer: 'https://x.com',
      authorization_endpoint: fakeX.endpoints.authorization,
      token_endpoint: fakeX.endpoints.token,
    };
    const basic = new oidc.Configuration(
      server,
      x.clientId,
      undefined,
      oidc.ClientSecretBasic(x.clientSecret),
    );
    oidc.allowInsecureRequests(basic);
    const params = { redirect_uri: x.redirectUris[0] as string, scope: 'users.read tweet.read' };
    const good = await signIn(basic, params);
    const tokens = await oidc.authorizationCodeGrant(basic, good.callback, good.checks);
    const profileUrl = new URL(
      `${fakeX.endpoints.profile}?user.fields=profile_image_url,confirmed_email`,
    );
    const response = await oidc.fetchProtectedResource(
      basic,
      tokens.access_token,
      profileUrl,
      'GET',
    );
    expect(((await response.json()) as { data: { id: string } }).data.id).to.equal(
      '1500000000000000001',
    );

    const post = new oidc.Configuration(
      server,
      x.clientId,
      undefined,
      oidc.ClientSecretPost(x.clientSecret),
    );
    oidc.allowInsecureRequests(post);
    const bad = await signIn(post, params);
    let error: unknown;
    try {
      await oidc.authorizationCodeGrant(post, bad.callback, bad.checks);
    } catch (caught) {
      error = caught;
    }
    expect((error as { error?: string }).error).to.equal('unauthorized_client');
  });
});

// Fake Facebook's own shapes and quirks over raw HTTP; what every fake does is in conformance.test.ts.
import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { type FakeFacebook, startFakeFacebook } from './facebook.ts';
import * as http from './http.ts';
import type { FakeClient } from './shared.ts';

describe('fake Facebook', () => {
  const client: FakeClient = {
    clientId: '1234567890123456',
    clientSecret: 'f0e1d2c3b4a5968778695a4b3c2d1e0f',
    redirectUris: ['http://localhost:3000/federation/facebook/callback'],
  };
  const redirectUri = client.redirectUris[0] as string;
  const bob = { sub: '10160000000000001', name: 'Bob Example', email: 'bob@example.com' };
  let facebook: FakeFacebook;

  before(async () => {
    facebook = await startFakeFacebook({ clients: [client] });
  });
  after(async () => {
    await facebook.close();
  });
  beforeEach(() => {
    facebook.reset();
    facebook.signInAs(bob);
  });

  const dialogUrl = (overrides: Record<string, string | undefined> = {}) =>
    http.urlWith(facebook.endpoints.authorization, {
      client_id: client.clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'email,public_profile',
      state: 'fb-state',
      ...overrides,
    });

  async function codeFor(overrides: Record<string, string | undefined> = {}) {
    const response = await http.get(dialogUrl(overrides));
    expect(http.locationOf(response).hash).to.equal('#_=_');
    const { code } = http.callbackParams(response, redirectUri);
    return code as string;
  }

  const tokenParams = (code: string) => ({
    client_id: client.clientId,
    client_secret: client.clientSecret,
    redirect_uri: redirectUri,
    code,
  });

  async function accessToken(overrides: Record<string, string | undefined> = {}): Promise<string> {
    const response = await http.get(
      http.urlWith(facebook.endpoints.token, tokenParams(await codeFor(overrides))),
    );
    expect(response.status).to.equal(200);
    return (await http.json(response)).access_token as string;
  }

  const proof = (token: string, secret = client.clientSecret) =>
    createHmac('sha256', secret).update(token).digest('hex');

  async function expectGraphError(
    response: Response,
    code: number,
    message: RegExp,
    subcode?: number,
  ) {
    expect(response.status).to.equal(400);
    const { error } = (await http.json(response)) as { error: Record<string, unknown> };
    expect(error.code).to.equal(code);
    expect(error.message).to.match(message);
    expect(error.type).to.match(/Exception$/);
    expect(error.fbtrace_id).to.be.a('string');
    if (subcode !== undefined) expect(error.error_subcode).to.equal(subcode);
  }

  it('runs the code flow with a GET token exchange and a Graph /me call', async () => {
    const response = await http.get(dialogUrl());
    const params = http.callbackParams(response, redirectUri);
    expect(Object.keys(params).sort()).to.deep.equal(['code', 'state']);
    expect(params.state).to.equal('fb-state');

    const tokenResponse = await http.get(
      http.urlWith(facebook.endpoints.token, tokenParams(params.code as string)),
    );
    expect(tokenResponse.status).to.equal(200);
    const tokens = await http.json(tokenResponse);
    expect(tokens).to.include({ token_type: 'bearer', expires_in: 5183944 });
    const token = tokens.access_token as string;

    const me = await http.get(
      http.urlWith(facebook.endpoints.profile, {
        fields: 'id,name,email,picture',
        access_token: token,
        appsecret_proof: proof(token),
      }),
    );
    expect(me.status).to.equal(200);
    const profile = await http.json(me);
    expect(profile).to.include({ id: bob.sub, name: bob.name, email: bob.email });
    expect(profile.picture).to.deep.equal({
      data: {
        height: 50,
        is_silhouette: true,
        url: (profile.picture as { data: { url: string } }).data.url,
        width: 50,
      },
    });
    expect((profile.picture as { data: { url: string } }).data.url).to.match(/^https:\/\//);
  });

  it('accepts a POST token exchange and the token as a Bearer header', async () => {
    const code = await codeFor();
    const response = await http.postForm(facebook.endpoints.token, tokenParams(code));
    expect(response.status).to.equal(200);
    const token = (await http.json(response)).access_token as string;
    const me = await http.get(
      http.urlWith(facebook.endpoints.profile, {
        fields: 'id,name',
        appsecret_proof: proof(token),
      }),
      { authorization: `Bearer ${token}` },
    );
    expect(await http.json(me)).to.deep.equal({ id: bob.sub, name: bob.name });
  });

  it('returns only id and name without fields, and no email without the email permission', async () => {
    const token = await accessToken();
    const bare = await http.get(
      http.urlWith(facebook.endpoints.profile, {
        access_token: token,
        appsecret_proof: proof(token),
      }),
    );
    expect(await http.json(bare)).to.deep.equal({ id: bob.sub, name: bob.name });

    const noEmail = await accessToken({ scope: 'public_profile' });
    const me = await http.get(
      http.urlWith(facebook.endpoints.profile, {
        fields: 'name,email',
        access_token: noEmail,
        appsecret_proof: proof(noEmail),
      }),
    );
    expect(await http.json(me)).to.deep.equal({ name: bob.name, id: bob.sub });
  });

  it('requires a correct appsecret_proof', async () => {
    const token = await accessToken();
    const call = (extra: Record<string, string>) =>
      http.get(
        http.urlWith(facebook.endpoints.profile, { fields: 'id', access_token: token, ...extra }),
      );
    await expectGraphError(await call({}), 100, /appsecret_proof/);
    await expectGraphError(
      await call({ appsecret_proof: proof(token, 'wrong-secret') }),
      100,
      /^Invalid appsecret_proof provided in the API argument$/,
    );
    await expectGraphError(
      await http.get(
        http.urlWith(facebook.endpoints.profile, {
          fields: 'id',
          access_token: 'EAAbogus',
          appsecret_proof: 'x',
        }),
      ),
      190,
      /Invalid OAuth access token/,
    );
    await expectGraphError(
      await http.get(http.urlWith(facebook.endpoints.profile, { fields: 'id' })),
      2500,
      /access token/,
    );
    await expectGraphError(
      await call({ fields: 'id,birthday_secret', appsecret_proof: proof(token) }),
      100,
      /nonexisting field/,
    );
  });

  it('refuses unversioned and other-version paths', async () => {
    const token = await accessToken();
    const unversioned = `${facebook.url}/me?${new URLSearchParams({ fields: 'id', access_token: token, appsecret_proof: proof(token) })}`;
    await expectGraphError(await http.get(unversioned), 100, /version is required/);
    await expectGraphError(
      await http.get(`${facebook.url}/oauth/access_token?${new URLSearchParams(tokenParams('x'))}`),
      100,
      /version is required/,
    );
    await http.expectErrorPage(await http.get(dialogUrl().replace('/v23.0', '')), /version/);
    await expectGraphError(
      await http.get(dialogUrl().replace('/v23.0/', '/v2.0/')),
      100,
      /version/,
    );
  });

  it('reads client credentials from parameters only, never from HTTP Basic', async () => {
    const code = await codeFor();
    const response = await http.postForm(
      facebook.endpoints.token,
      { client_id: client.clientId, redirect_uri: redirectUri, code },
      { authorization: http.basicAuth(client.clientId, client.clientSecret) },
    );
    await expectGraphError(response, 1, /client_secret/);
    await expectGraphError(
      await http.get(
        http.urlWith(facebook.endpoints.token, { ...tokenParams(code), client_secret: 'wrong' }),
      ),
      1,
      /^Error validating client secret\.$/,
    );
    await expectGraphError(
      await http.get(
        http.urlWith(facebook.endpoints.token, { ...tokenParams(code), client_id: undefined }),
      ),
      101,
      /client_id/,
    );
  });

  it('requires the same redirect_uri at the token endpoint', async () => {
    const mismatched = await codeFor();
    await expectGraphError(
      await http.get(
        http.urlWith(facebook.endpoints.token, {
          ...tokenParams(mismatched),
          redirect_uri: `${redirectUri}/`,
        }),
      ),
      100,
      /redirect_uri is identical/,
      36008,
    );
    await expectGraphError(
      await http.get(
        http.urlWith(facebook.endpoints.token, {
          ...tokenParams(await codeFor()),
          redirect_uri: undefined,
        }),
      ),
      191,
      /redirect_uri/,
    );
  });

  it('shows an error page for a bad client, redirect_uri, state, response_type or scope', async () => {
    await http.expectErrorPage(await http.get(dialogUrl({ client_id: '999' })), /Invalid App ID/);
    await http.expectErrorPage(
      await http.get(dialogUrl({ redirect_uri: 'http://localhost:3000/other' })),
      /URL Blocked/,
    );
    await http.expectErrorPage(await http.get(dialogUrl({ state: undefined })), /state/);
    await http.expectErrorPage(
      await http.get(dialogUrl({ response_type: 'token' })),
      /response_type/,
    );
    await http.expectErrorPage(
      await http.get(dialogUrl({ scope: 'email,openid_connect_everything' })),
      /Invalid Scopes/,
    );
  });

  it('accepts space-separated scopes and a missing response_type', async () => {
    expect(await codeFor({ scope: 'email public_profile', response_type: undefined })).to.be.a(
      'string',
    );
  });

  it('ends its redirects with #_=_ and encodes spaces in them as +', async () => {
    facebook.failNext('deny');
    const denied = await http.get(dialogUrl());
    expect(http.locationOf(denied).hash).to.equal('#_=_');
    expect(http.locationOf(denied).search).to.include('error_description=Permissions+error');
  });

  it('marks a failed token exchange as transient', async () => {
    const code = await codeFor();
    facebook.failNext('token_5xx');
    const failed = await http.get(http.urlWith(facebook.endpoints.token, tokenParams(code)));
    expect(failed.status).to.equal(500);
    expect(((await http.json(failed)).error as Record<string, unknown>).is_transient).to.equal(
      true,
    );
  });

  it('has no JWKS or discovery knobs', () => {
    expect(() => facebook.failNext('jwks_5xx' as never)).to.throw(TypeError);
  });

  it('runs the interactive page with a stable id per email', async () => {
    facebook.signInAs(undefined);
    const page = await http.get(dialogUrl());
    const html = await page.text();
    expect(html).to.include('Sign in to Fake Facebook');
    expect(html).not.to.include('fake_email_verified');
    const original = http.hiddenFields(html);
    const signIn = async (email: string) => {
      const response = await http.postForm(`${facebook.url}/fake/sign-in`, {
        ...original,
        fake_name: 'Erin',
        fake_email: email,
        fake_decision: 'continue',
      });
      const token = (
        await http.json(
          await http.get(
            http.urlWith(
              facebook.endpoints.token,
              tokenParams(http.callbackParams(response, redirectUri).code as string),
            ),
          ),
        )
      ).access_token as string;
      return http.json(
        await http.get(
          http.urlWith(facebook.endpoints.profile, {
            fields: 'id,name,email',
            access_token: token,
            appsecret_proof: proof(token),
          }),
        ),
      );
    };
    const first = await signIn('erin@example.com');
    expect(first).to.include({ name: 'Erin', email: 'erin@example.com' });
    expect((await signIn('erin@example.com')).id).to.equal(first.id);
    expect((await signIn('frank@example.com')).id).not.to.equal(first.id);
    const denied = await http.postForm(`${facebook.url}/fake/sign-in`, {
      ...original,
      fake_decision: 'deny',
    });
    expect(http.callbackParams(denied, redirectUri)).to.include({
      error: 'access_denied',
      error_reason: 'user_denied',
    });
  });
});

// Fake X's own shapes and quirks over raw HTTP; what every fake does is in conformance.test.ts.
import { expect } from 'chai';
import * as http from './http.ts';
import type { FakeClient } from './shared.ts';
import { type FakeX, startFakeX } from './x.ts';

describe('fake X', () => {
  const client: FakeClient = {
    clientId: 'M1M5R3BMVy13QmpScXkzTUt5OE46MTpjaQ',
    clientSecret: 'x-secret_with-dashes_and+plus',
    redirectUris: ['http://localhost:3000/federation/x/callback'],
  };
  const redirectUri = client.redirectUris[0] as string;
  const carol = {
    sub: '1234567890123456789',
    name: 'Carol',
    username: 'carol_x',
    email: 'carol@example.com',
  };
  let x: FakeX;

  before(async () => {
    x = await startFakeX({ clients: [client] });
  });
  after(async () => {
    await x.close();
  });
  beforeEach(() => {
    x.reset();
    x.signInAs(carol);
  });

  const authorizeUrl = (overrides: Record<string, string | undefined> = {}, challenge?: string) =>
    http.urlWith(x.endpoints.authorization, {
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: redirectUri,
      scope: 'users.read tweet.read offline.access',
      state: 'x-state',
      code_challenge: challenge ?? http.pkcePair().challenge,
      code_challenge_method: 'S256',
      ...overrides,
    });

  async function codeFor(overrides: Record<string, string | undefined> = {}) {
    const { verifier, challenge } = http.pkcePair();
    const params = http.callbackParams(
      await http.get(authorizeUrl(overrides, challenge)),
      redirectUri,
    );
    expect(Object.keys(params).sort()).to.deep.equal(['code', 'state']);
    return { code: params.code as string, verifier };
  }

  const exchange = (
    code: string,
    verifier: string,
    extra: Record<string, string> = {},
    headers?: Record<string, string>,
  ) =>
    http.postForm(
      x.endpoints.token,
      {
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        code_verifier: verifier,
        ...extra,
      },
      headers ?? { authorization: http.basicAuth(client.clientId, client.clientSecret) },
    );

  async function tokenFor(overrides: Record<string, string | undefined> = {}) {
    const { code, verifier } = await codeFor(overrides);
    const response = await exchange(code, verifier);
    expect(response.status).to.equal(200);
    return http.json(response);
  }

  const me = (token: string, fields = 'profile_image_url,confirmed_email') =>
    http.get(`${x.endpoints.profile}?user.fields=${fields}`, { authorization: `Bearer ${token}` });

  async function expectInvalidCode(response: Response) {
    expect(response.status).to.equal(400);
    expect(await http.json(response)).to.deep.equal({
      error: 'invalid_request',
      error_description: 'Value passed for the authorization code was invalid.',
    });
  }

  it('runs the PKCE code flow with Basic auth and returns the user under data', async () => {
    const tokens = await tokenFor();
    expect(tokens).to.include({
      token_type: 'bearer',
      expires_in: 7200,
      scope: 'users.read tweet.read offline.access',
    });
    expect(tokens.access_token).to.be.a('string');
    expect(tokens.refresh_token).to.be.a('string');

    const response = await me(tokens.access_token as string);
    expect(response.status).to.equal(200);
    expect(await http.json(response)).to.deep.equal({
      data: {
        id: carol.sub,
        name: 'Carol',
        username: 'carol_x',
        profile_image_url:
          'https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png',
      },
    });
  });

  it('gives confirmed_email only with the users.email scope, and no refresh token without offline.access', async () => {
    const tokens = await tokenFor({ scope: 'users.read tweet.read users.email' });
    expect(tokens).not.to.have.property('refresh_token');
    const { data } = (await http.json(await me(tokens.access_token as string))) as {
      data: Record<string, unknown>;
    };
    expect(data.confirmed_email).to.equal(carol.email);

    x.signInAs({ sub: '42', name: 'No Mail' });
    const without = await tokenFor({ scope: 'users.read tweet.read users.email' });
    const body = (await http.json(await me(without.access_token as string))) as {
      data: Record<string, unknown>;
    };
    expect(body.data).not.to.have.property('confirmed_email');
    expect(body.data.username).to.equal('NoMail');
  });

  it('refuses client credentials in the body, a wrong secret and unencoded Basic credentials', async () => {
    const { code, verifier } = await codeFor();
    const refused = {
      error: 'unauthorized_client',
      error_description: 'Missing valid authorization header',
    };
    const inBody = await exchange(
      code,
      verifier,
      { client_id: client.clientId, client_secret: client.clientSecret },
      {},
    );
    expect(inBody.status).to.equal(401);
    expect(await http.json(inBody)).to.deep.equal(refused);
    const wrong = await exchange(
      code,
      verifier,
      {},
      { authorization: http.basicAuth(client.clientId, 'nope') },
    );
    expect(wrong.status).to.equal(401);
    const raw = await exchange(
      code,
      verifier,
      {},
      { authorization: http.basicAuth(client.clientId, client.clientSecret, false) },
    );
    expect(raw.status).to.equal(401);
    // Failed client authentication leaves the code usable.
    expect((await exchange(code, verifier)).status).to.equal(200);
  });

  it("refuses a redirect_uri other than the authorization request's", async () => {
    const mismatch = await codeFor();
    await expectInvalidCode(
      await exchange(mismatch.code, mismatch.verifier, { redirect_uri: `${redirectUri}/` }),
    );
  });

  it('shows an error page, never redirecting, for any bad authorization request', async () => {
    const page = /Something went wrong/;
    await http.expectErrorPage(await http.get(authorizeUrl({ client_id: 'nobody' })), page);
    await http.expectErrorPage(
      await http.get(authorizeUrl({ redirect_uri: 'http://localhost:3000/elsewhere' })),
      page,
    );
    await http.expectErrorPage(await http.get(authorizeUrl({ state: undefined })), /state/);
    await http.expectErrorPage(
      await http.get(authorizeUrl({ code_challenge: undefined })),
      /code_challenge/,
    );
    await http.expectErrorPage(
      await http.get(authorizeUrl({ code_challenge_method: 'S512' })),
      /code_challenge_method/,
    );
    await http.expectErrorPage(
      await http.get(authorizeUrl({ response_type: 'token' })),
      /response_type/,
    );
    await http.expectErrorPage(
      await http.get(authorizeUrl({ scope: 'users.read,tweet.read' })),
      /scope/,
    );
  });

  it("answers /2/users/me with X's problem shapes", async () => {
    const unauthorized = await http.get(x.endpoints.profile);
    expect(unauthorized.status).to.equal(401);
    expect(await http.json(unauthorized)).to.deep.equal({
      title: 'Unauthorized',
      type: 'about:blank',
      status: 401,
      detail: 'Unauthorized',
    });
    expect((await me('not-a-token')).status).to.equal(401);

    const usersOnly = await tokenFor({ scope: 'users.read' });
    expect((await me(usersOnly.access_token as string)).status).to.equal(403);

    const tokens = await tokenFor();
    const invalid = await me(tokens.access_token as string, 'profile_image_url,shoe_size');
    expect(invalid.status).to.equal(400);
    expect((await http.json(invalid)).title).to.equal('Invalid Request');
  });

  it('runs the interactive page with a stable id per email and a username field', async () => {
    x.signInAs(undefined);
    const { verifier, challenge } = http.pkcePair();
    const html = await (
      await http.get(authorizeUrl({ scope: 'users.read tweet.read users.email' }, challenge))
    ).text();
    expect(html).to.include('Sign in to Fake X');
    const original = http.hiddenFields(html);
    const signIn = async (answers: Record<string, string>) => {
      const response = await http.postForm(`${x.url}/fake/sign-in`, {
        ...original,
        ...answers,
        fake_decision: 'continue',
      });
      const { code } = http.callbackParams(response, redirectUri);
      const token = (await http.json(await exchange(code as string, verifier)))
        .access_token as string;
      return ((await http.json(await me(token))) as { data: Record<string, string> }).data;
    };
    const first = await signIn({ fake_name: 'Gina', fake_email: 'gina@example.com' });
    expect(first).to.include({
      name: 'Gina',
      username: 'gina',
      confirmed_email: 'gina@example.com',
    });
    expect(first.id).to.match(/^\d{19}$/);
    expect((await signIn({ fake_name: 'Gina G', fake_email: 'gina@example.com' })).id).to.equal(
      first.id,
    );
    const handleOnly = await signIn({ fake_username: '@hank' });
    expect(handleOnly).to.include({ username: 'hank' });
    expect(handleOnly).not.to.have.property('confirmed_email');
  });
});

// What every fake upstream must do, run against each: the code flow with PKCE and state, refused
// codes, error pages that never redirect, the failure knobs, and the interactive sign-in page.
// Each fake's own shapes and quirks are in {google,facebook,x}.test.ts.
import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { fakeFacebook } from './facebook.ts';
import { fakeGoogle } from './google.ts';
import * as http from './http.ts';
import type { Fake, FakeClient, FakeUser } from './shared.ts';
import { fakeX } from './x.ts';

type Running = Fake<string> & { endpoints: Record<string, string> };

/** Why a token request must fail. */
type Refusal = 'expired' | 'reused' | 'unknown' | 'wrong verifier' | 'no verifier';

/** How to drive one fake as Latchkey does, and how it says no. */
interface Conformance {
  name: string;
  client: FakeClient;
  user: FakeUser;
  start(options: { clients: FakeClient[]; codeLifetimeMs?: number }): Promise<Running>;
  /** The authorization request, with state and a PKCE challenge; undefined values are left out. */
  authorize(fake: Running, params: Record<string, string | undefined>): string;
  /** Redeems a code; an undefined verifier sends none. */
  redeem(fake: Running, code: string, verifier: string | undefined): Promise<Response>;
  /** The profile request made with an access token. */
  profile(fake: Running, accessToken: string): Promise<Response>;
  /** The person's stable id and email in a profile answer. */
  identity(profile: Record<string, unknown>): { subject: unknown; email: unknown };
  expectRefused(response: Response, why: Refusal): Promise<void>;
  /** The status of a token or profile answer while the upstream fails. */
  outageStatus: number;
  /** The callback parameters besides state when the person declines. */
  denial: Record<string, string>;
  /** The callback parameters besides state when the upstream fails while authorizing. */
  failure: Record<string, string>;
}

const redirectUri = (id: string) => `http://localhost:3000/federation/${id}/callback`;

/** A token request as a form, the client authenticated with HTTP Basic (Google, X). */
function basicRedeem(fake: Running, client: FakeClient, code: string, verifier?: string) {
  return http.postForm(
    fake.endpoints.token as string,
    {
      grant_type: 'authorization_code',
      code,
      redirect_uri: client.redirectUris[0] as string,
      ...(verifier === undefined ? {} : { code_verifier: verifier }),
    },
    { authorization: http.basicAuth(client.clientId, client.clientSecret) },
  );
}

async function oauthError(response: Response, error: string, description?: string) {
  expect(response.status).to.equal(400);
  const body = await http.json(response);
  expect(body.error).to.equal(error);
  if (description === undefined) expect(body.error_description).to.be.a('string');
  else expect(body.error_description).to.equal(description);
}

async function graphError(response: Response, message: RegExp, subcode?: number) {
  expect(response.status).to.equal(400);
  const { error } = (await http.json(response)) as { error: Record<string, unknown> };
  expect(error.code).to.equal(100);
  expect(error.message).to.match(message);
  expect(error.type).to.match(/Exception$/);
  expect(error.fbtrace_id).to.be.a('string');
  if (subcode !== undefined) expect(error.error_subcode).to.equal(subcode);
}

const google: Conformance = {
  name: 'Google',
  client: {
    clientId: 'google-client.apps.googleusercontent.com',
    clientSecret: 'GOCSPX-s3cret+with/special=chars',
    redirectUris: [redirectUri('google')],
  },
  user: { sub: '108765432109876543210', name: 'Alice Example', email: 'alice@example.com' },
  start: (options) => fakeGoogle.start(options),
  authorize: (fake, params) =>
    http.urlWith(fake.endpoints.authorization as string, {
      client_id: google.client.clientId,
      redirect_uri: redirectUri('google'),
      response_type: 'code',
      scope: 'openid email profile',
      nonce: 'nonce-456',
      ...params,
    }),
  redeem: (fake, code, verifier) => basicRedeem(fake, google.client, code, verifier),
  profile: (fake, token) =>
    http.get(fake.endpoints.userinfo as string, { authorization: `Bearer ${token}` }),
  identity: (profile) => ({ subject: profile.sub, email: profile.email }),
  expectRefused: (response) => oauthError(response, 'invalid_grant'),
  outageStatus: 503,
  denial: { error: 'access_denied' },
  failure: { error: 'server_error' },
};

const facebook: Conformance = {
  name: 'Facebook',
  client: {
    clientId: '1234567890123456',
    clientSecret: 'f0e1d2c3b4a5968778695a4b3c2d1e0f',
    redirectUris: [redirectUri('facebook')],
  },
  user: { sub: '10160000000000001', name: 'Bob Example', email: 'bob@example.com' },
  start: (options) => fakeFacebook.start(options),
  authorize: (fake, params) =>
    http.urlWith(fake.endpoints.authorization as string, {
      client_id: facebook.client.clientId,
      redirect_uri: redirectUri('facebook'),
      response_type: 'code',
      scope: 'email,public_profile',
      ...params,
    }),
  redeem: (fake, code, verifier) =>
    http.get(
      http.urlWith(fake.endpoints.token as string, {
        client_id: facebook.client.clientId,
        client_secret: facebook.client.clientSecret,
        redirect_uri: redirectUri('facebook'),
        code,
        code_verifier: verifier,
      }),
    ),
  profile: (fake, token) =>
    http.get(
      http.urlWith(fake.endpoints.profile as string, {
        fields: 'id,name,email',
        access_token: token,
        appsecret_proof: createHmac('sha256', facebook.client.clientSecret)
          .update(token)
          .digest('hex'),
      }),
    ),
  identity: (profile) => ({ subject: profile.id, email: profile.email }),
  expectRefused: (response, why) =>
    ({
      expired: () => graphError(response, /expired/, 36007),
      reused: () => graphError(response, /been used/, 36009),
      unknown: () => graphError(response, /code/),
      'wrong verifier': () => graphError(response, /code_verifier/),
      'no verifier': () => graphError(response, /code_verifier/),
    })[why](),
  outageStatus: 500,
  denial: {
    error: 'access_denied',
    error_code: '200',
    error_description: 'Permissions error',
    error_reason: 'user_denied',
  },
  failure: {
    error: 'server_error',
    error_code: '2',
    error_description: 'An unexpected error has occurred. Please retry your request later.',
  },
};

const x: Conformance = {
  name: 'X',
  client: {
    clientId: 'M1M5R3BMVy13QmpScXkzTUt5OE46MTpjaQ',
    clientSecret: 'x-secret_with-dashes_and+plus',
    redirectUris: [redirectUri('x')],
  },
  user: { sub: '1234567890123456789', name: 'Carol', username: 'carol_x', email: 'carol@x.io' },
  start: (options) => fakeX.start(options),
  authorize: (fake, params) =>
    http.urlWith(fake.endpoints.authorization as string, {
      response_type: 'code',
      client_id: x.client.clientId,
      redirect_uri: redirectUri('x'),
      scope: 'users.read tweet.read users.email',
      ...params,
    }),
  redeem: (fake, code, verifier) => basicRedeem(fake, x.client, code, verifier),
  profile: (fake, token) =>
    http.get(`${fake.endpoints.profile}?user.fields=profile_image_url,confirmed_email`, {
      authorization: `Bearer ${token}`,
    }),
  identity: (profile) => {
    const data = profile.data as Record<string, unknown>;
    return { subject: data.id, email: data.confirmed_email };
  },
  expectRefused: (response, why) =>
    why === 'no verifier'
      ? oauthError(response, 'invalid_request', 'Missing required parameter [code_verifier].')
      : oauthError(
          response,
          'invalid_request',
          'Value passed for the authorization code was invalid.',
        ),
  outageStatus: 503,
  denial: { error: 'access_denied' },
  failure: { error: 'server_error' },
};

for (const upstream of [google, facebook, x]) {
  describe(`fake ${upstream.name} conforms`, () => {
    const uri = upstream.client.redirectUris[0] as string;
    let fake: Running;

    before(async () => {
      fake = await upstream.start({ clients: [upstream.client] });
    });
    after(async () => {
      await fake.close();
    });
    beforeEach(() => {
      fake.reset();
      fake.signInAs(upstream.user);
    });

    /** An authorization with PKCE S256 and state, answered with a code. */
    async function codeFor(on: Running = fake, params: Record<string, string | undefined> = {}) {
      const { verifier, challenge } = http.pkcePair();
      const url = upstream.authorize(on, {
        state: 'conformance-state',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        ...params,
      });
      const answer = http.callbackParams(await http.get(url), uri);
      expect(answer.state).to.equal('conformance-state');
      expect(answer.code).to.be.a('string');
      return { code: answer.code as string, verifier };
    }

    async function tokenFor(code: string, verifier: string): Promise<string> {
      const response = await upstream.redeem(fake, code, verifier);
      expect(response.status).to.equal(200);
      const token = (await http.json(response)).access_token;
      expect(token).to.be.a('string');
      return token as string;
    }

    it('runs the code flow with PKCE and state, then names the person at its profile endpoint', async () => {
      const { code, verifier } = await codeFor();
      const profile = await upstream.profile(fake, await tokenFor(code, verifier));
      expect(profile.status).to.equal(200);
      expect(upstream.identity(await http.json(profile))).to.deep.equal({
        subject: upstream.user.sub,
        email: upstream.user.email,
      });
    });

    it('refuses a code without its PKCE verifier or with a wrong one', async () => {
      const missing = await codeFor();
      await upstream.expectRefused(
        await upstream.redeem(fake, missing.code, undefined),
        'no verifier',
      );
      const wrong = await codeFor();
      await upstream.expectRefused(
        await upstream.redeem(fake, wrong.code, http.pkcePair().verifier),
        'wrong verifier',
      );
    });

    it('accepts the plain PKCE method', async () => {
      const { verifier } = http.pkcePair();
      const { code } = await codeFor(fake, {
        code_challenge: verifier,
        code_challenge_method: 'plain',
      });
      expect((await upstream.redeem(fake, code, verifier)).status).to.equal(200);
    });

    it('refuses a reused code and an unknown one', async () => {
      const { code, verifier } = await codeFor();
      await tokenFor(code, verifier);
      await upstream.expectRefused(await upstream.redeem(fake, code, verifier), 'reused');
      await upstream.expectRefused(
        await upstream.redeem(fake, 'unknown-code', verifier),
        'unknown',
      );
    });

    it('refuses an expired code', async () => {
      const shortLived = await upstream.start({ clients: [upstream.client], codeLifetimeMs: 20 });
      try {
        shortLived.signInAs(upstream.user);
        const { code, verifier } = await codeFor(shortLived);
        await new Promise((resolve) => setTimeout(resolve, 40));
        await upstream.expectRefused(await upstream.redeem(shortLived, code, verifier), 'expired');
      } finally {
        await shortLived.close();
      }
    });

    it('shows an error page, never redirecting, for an unknown client or redirect_uri', async () => {
      const page = /./;
      await http.expectErrorPage(
        await http.get(upstream.authorize(fake, { client_id: '999' })),
        page,
      );
      await http.expectErrorPage(
        await http.get(
          upstream.authorize(fake, { redirect_uri: 'http://localhost:3000/elsewhere' }),
        ),
        page,
      );
    });

    it('redirects with access_denied, then server_error, for the deny and authorize_error knobs', async () => {
      const url = upstream.authorize(fake, {
        state: 'knob-state',
        code_challenge: http.pkcePair().challenge,
        code_challenge_method: 'S256',
      });
      fake.failNext('deny');
      expect(http.callbackParams(await http.get(url), uri)).to.deep.equal({
        ...upstream.denial,
        state: 'knob-state',
      });
      fake.failNext('authorize_error');
      expect(http.callbackParams(await http.get(url), uri)).to.deep.equal({
        ...upstream.failure,
        state: 'knob-state',
      });
      expect(http.callbackParams(await http.get(url), uri).code).to.be.a('string');
    });

    it('fails the token and profile endpoints once for their knobs', async () => {
      const { code, verifier } = await codeFor();
      fake.failNext('token_5xx');
      expect((await upstream.redeem(fake, code, verifier)).status).to.equal(upstream.outageStatus);
      const token = await tokenFor(code, verifier);
      fake.failNext('profile_5xx');
      expect((await upstream.profile(fake, token)).status).to.equal(upstream.outageStatus);
      expect((await upstream.profile(fake, token)).status).to.equal(200);
    });

    it('stalls the token endpoint for token_timeout until close() destroys the socket', async () => {
      const stalling = await upstream.start({ clients: [upstream.client] });
      stalling.signInAs(upstream.user);
      const { code, verifier } = await codeFor(stalling);
      stalling.failNext('token_timeout');
      const pending = upstream.redeem(stalling, code, verifier).then(
        () => 'answered',
        () => 'connection closed',
      );
      await http.requestArrived(stalling, new URL(stalling.endpoints.token as string).pathname);
      const started = Date.now();
      await stalling.close();
      expect(await pending).to.equal('connection closed');
      expect(Date.now() - started).to.be.below(1000);
    });

    it('drops pending knobs on reset()', async () => {
      fake.failNext('deny');
      fake.failNext('token_5xx');
      fake.reset();
      fake.signInAs(upstream.user);
      const { code, verifier } = await codeFor();
      await tokenFor(code, verifier);
    });

    it('runs the interactive page: a stable subject per email, and Deny', async () => {
      fake.signInAs(undefined);
      const { verifier, challenge } = http.pkcePair();
      const page = await http.get(
        upstream.authorize(fake, {
          state: 'page-state',
          code_challenge: challenge,
          code_challenge_method: 'S256',
        }),
      );
      expect(page.status).to.equal(200);
      const html = await page.text();
      expect(html).to.include(`Sign in to Fake ${upstream.name}`);
      const original = http.hiddenFields(html);
      const submit = (answers: Record<string, string>) =>
        http.postForm(`${fake.url}/fake/sign-in`, { ...original, ...answers });
      const signIn = async (email: string) => {
        const answer = http.callbackParams(
          await submit({ fake_name: 'Page Person', fake_email: email, fake_decision: 'continue' }),
          uri,
        );
        expect(answer.state).to.equal('page-state');
        const token = await tokenFor(answer.code as string, verifier);
        return upstream.identity(await http.json(await upstream.profile(fake, token)));
      };
      const first = await signIn('page.person@example.org');
      expect(first.email).to.equal('page.person@example.org');
      expect((await signIn('page.person@example.org')).subject).to.equal(first.subject);
      expect((await signIn('someone.else@example.org')).subject).not.to.equal(first.subject);

      const denied = await submit({ fake_decision: 'deny' });
      expect(http.callbackParams(denied, uri)).to.deep.equal({
        ...upstream.denial,
        state: 'page-state',
      });
    });

    it('logs every request', async () => {
      const profile = new URL(fake.endpoints.profile ?? (fake.endpoints.userinfo as string));
      await http.get(profile.href);
      expect(fake.requests.map((r) => `${r.method} ${r.path}`)).to.deep.equal([
        `GET ${profile.pathname}`,
      ]);
    });
  });
}

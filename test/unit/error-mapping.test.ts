// mapError: every kind of failure becomes a status and a safe message, never an internal detail.
import { expect } from 'chai';
import Koa from 'koa';
import { errors } from 'oidc-provider';
import { QueryFailedError } from 'typeorm';
import * as domain from '../../src/accounts/errors.ts';
import { StoreUnavailable } from '../../src/db/store-outages.ts';
import { rejectionOf } from '../../src/http/errors.ts';
import { FormRejected, onForm } from '../../src/http/form-rejected.ts';
import { badRequest, forbidden, HttpProblem, notFound } from '../../src/http/http-errors.ts';
import { type MappedError, mapError } from '../../src/http/map-error.ts';
import { en } from '../../src/i18n/en.ts';
import { isMessageKey, t } from '../../src/i18n/t.ts';
import {
  UpstreamAccountNotAllowed,
  UpstreamDenied,
  UpstreamRejected,
  UpstreamUnavailable,
} from '../../src/upstreams/upstream.ts';

const GENERIC_500 = {
  status: 500,
  code: 'server_error',
  title: 'Something went wrong',
  message: 'An unexpected error occurred. If it keeps happening, quote the request id below.',
  internal: true,
};

const refused = (status: number, code: string, message: string) => ({
  status,
  code,
  title: 'Request refused',
  message,
  internal: false,
});

/** The error Koa's own ctx.throw raises (an http-errors instance). */
function koaError(status: number, message: string): Error {
  try {
    new Koa().context.throw(status, message);
  } catch (error) {
    return error as Error;
  }
  expect.fail('ctx.throw did not throw');
}

/** Each row: a story, the error, and everything the edge makes of it. */
type Row = [story: string, error: unknown, expected: MappedError];

function answers(rows: Row[]) {
  for (const [story, error, expected] of rows) {
    it(story, () => expect(mapError(error)).to.deep.equal(expected));
  }
}

describe('mapError', () => {
  describe('account errors', () => {
    const problems = {
      email: domain.problem('email.missing'),
      password: domain.problem('password.too_short', { min: 8 }),
    };
    const fields = { email: 'Enter your email address.', password: 'Use at least 8 characters.' };
    class AccountLocked extends domain.DomainError {
      readonly code = 'account_locked';
    }
    answers([
      [
        'answers invalid input with 400 and the message for each field',
        new domain.InvalidInput(problems),
        {
          status: 400,
          code: 'invalid_request',
          title: 'Check your details',
          message: 'Enter your email address. Use at least 8 characters.',
          fields,
          internal: false,
        },
      ],
      [
        'answers a taken email with 409 and a neutral message',
        new domain.EmailTaken(),
        {
          status: 409,
          code: 'conflict',
          title: 'Email unavailable',
          message: 'That email address cannot be used for a new account.',
          internal: false,
        },
      ],
      [
        'answers failed sign-in with 401, one message that does not say which part was wrong',
        new domain.InvalidCredentials(),
        {
          status: 401,
          code: 'invalid_credentials',
          title: 'Sign-in failed',
          message: 'The email or password is incorrect.',
          internal: false,
          event: { name: 'login.failed', level: 'info' },
        },
      ],
      [
        'answers too many attempts with 429, a Retry-After header and the wait in minutes',
        new domain.TooManyAttempts(90),
        {
          status: 429,
          code: 'too_many_attempts',
          title: 'Too many attempts',
          message: 'Too many attempts. Try again in 2 minutes.',
          headers: { 'Retry-After': '90' },
          internal: false,
        },
      ],
      [
        'answers a full password hashing queue with 503, Retry-After and its own log event',
        new domain.HashingBusy(3),
        {
          status: 503,
          code: 'temporarily_unavailable',
          title: 'Busy right now',
          message:
            'Too many sign-ins are being checked at this moment. Wait 3 seconds and try again.',
          headers: { 'Retry-After': '3' },
          internal: false,
          event: { name: 'password_hashing.busy', level: 'warn' },
        },
      ],
      [
        'answers linking an identity that belongs to another account with 409',
        new domain.IdentityAlreadyLinked(),
        {
          status: 409,
          code: 'conflict',
          title: 'Already linked',
          message: 'This sign-in is already linked to another account.',
          internal: false,
        },
      ],
      [
        'answers removing the last way to sign in with 409',
        new domain.LastSignInMethod(),
        {
          status: 409,
          code: 'conflict',
          title: 'Cannot remove',
          message: 'This is the only way to sign in to the account, so it cannot be removed.',
          internal: false,
        },
      ],
      [
        'answers a missing account with 404',
        new domain.AccountNotFound(),
        {
          status: 404,
          code: 'not_found',
          title: 'Not found',
          message: 'The account does not exist.',
          internal: false,
        },
      ],
      [
        'answers any other account error with 400 and its own code',
        new AccountLocked('This account is locked.'),
        refused(400, 'account_locked', 'This account is locked.'),
      ],
    ]);

    it('rounds the wait up to whole minutes', () => {
      expect(mapError(new domain.TooManyAttempts(60)).message).to.equal(
        'Too many attempts. Try again in 1 minute.',
      );
    });

    it('gives every account error a name and a code, and words every code in the catalogue', () => {
      const instances = [
        new domain.InvalidInput({ name: domain.problem('name.missing') }),
        new domain.EmailTaken(),
        new domain.InvalidCredentials(),
        new domain.TooManyAttempts(1),
        new domain.HashingBusy(1),
        new domain.AccountNotFound(),
        new domain.IdentityAlreadyLinked(),
        new domain.LastSignInMethod(),
      ];
      for (const error of instances) {
        expect(error.name).to.equal(error.constructor.name);
        expect(Object.keys(en.error)).to.include(error.code);
        expect(mapError(error).title).to.not.equal('Request refused');
      }
    });
  });

  describe('upstream errors', () => {
    answers([
      [
        'answers a person who declined upstream with 400 and names the upstream',
        new UpstreamDenied('google'),
        {
          status: 400,
          code: 'access_denied',
          title: 'Sign-in cancelled',
          message: 'You cancelled signing in with google. Choose another way to sign in.',
          internal: false,
        },
      ],
      [
        'answers an upstream account our policy refuses with 403 and the reason',
        new UpstreamAccountNotAllowed('google', 'example.com'),
        {
          status: 403,
          code: 'access_denied',
          title: 'Account not allowed',
          message: 'Only google accounts of example.com may sign in here.',
          internal: false,
        },
      ],
      [
        'answers an upstream outage with 503, Retry-After 30 and a logged cause',
        new UpstreamUnavailable('x'),
        {
          status: 503,
          code: 'temporarily_unavailable',
          title: 'x is unavailable',
          message:
            'x did not answer in time or had a problem. Try again in a few minutes, or sign in another way.',
          headers: { 'Retry-After': '30' },
          internal: false,
          event: { name: 'upstream.unavailable', level: 'warn', withError: true },
        },
      ],
      [
        'answers an unacceptable upstream answer with 502',
        new UpstreamRejected('facebook', 'bad id_token'),
        {
          status: 502,
          code: 'upstream_rejected',
          title: 'facebook sign-in failed',
          message:
            'The answer from facebook could not be accepted. Try again, or sign in another way.',
          internal: false,
          event: { name: 'upstream.rejected', level: 'warn', withError: true },
        },
      ],
    ]);

    it('names the upstream by the display name a route passes', () => {
      expect(mapError(new UpstreamUnavailable('x'), { upstream: 'X' }).title).to.equal(
        'X is unavailable',
      );
    });
  });

  describe('oidc-provider errors', () => {
    answers([
      [
        'turns a lost interaction session into a friendly 400 page',
        new errors.SessionNotFound('interaction session id cookie not found'),
        {
          status: 400,
          code: 'session_not_found',
          title: 'This page has expired',
          message:
            'This sign-in page has expired or was opened in a different browser. Go back to the application and start signing in again.',
          internal: false,
        },
      ],
      [
        'keeps the status, code and description of client errors',
        new errors.InvalidRequest('missing required parameter: state'),
        refused(400, 'invalid_request', 'missing required parameter: state'),
      ],
      [
        'keeps an access_denied description',
        new errors.AccessDenied('end-user declined'),
        refused(400, 'access_denied', 'end-user declined'),
      ],
      [
        'shows the public description but never the internal detail',
        new errors.InvalidClientAuth('client secret mismatch for client "app"'),
        refused(401, 'invalid_client', 'client authentication failed'),
      ],
      [
        'falls back to the error code when there is no description',
        new errors.OIDCProviderError(403, 'forbidden_scope'),
        refused(403, 'forbidden_scope', 'forbidden_scope'),
      ],
      [
        'turns server-side failures into a generic server_error, keeping the 5xx status',
        new errors.InvalidRequest('redis connection refused at 10.0.0.7:6379', 503),
        {
          status: 503,
          code: 'server_error',
          title: 'Something went wrong',
          message: 'An unexpected error occurred.',
          internal: true,
        },
      ],
    ]);

    it('never shows the internal detail or address of a provider error', () => {
      const error = new errors.InvalidClientAuth('client secret mismatch for client "app"');
      expect(error.error_detail).to.equal('client secret mismatch for client "app"');
      expect(JSON.stringify(mapError(error))).to.not.contain('mismatch');
      const failed = new errors.InvalidRequest('redis connection refused at 10.0.0.7:6379', 503);
      expect(JSON.stringify(mapError(failed))).to.not.contain('10.0.0.7');
      expect(mapError(new errors.OIDCProviderError(500, 'adapter_failure')).code).to.equal(
        'server_error',
      );
    });
  });

  describe('our own HTTP problems', () => {
    answers([
      [
        'keep their status, code, message and headers',
        new HttpProblem(
          413,
          'payload_too_large',
          'request.too_large',
          { limit: 16 },
          {
            Connection: 'close',
          },
        ),
        {
          ...refused(413, 'payload_too_large', 'The request body is larger than 16 bytes.'),
          headers: { Connection: 'close' },
        },
      ],
      [
        'include bad requests',
        badRequest('request.json_invalid'),
        { ...refused(400, 'invalid_request', 'The request body is not valid JSON.'), headers: {} },
      ],
      [
        'include refusals',
        forbidden('request.cross_site'),
        {
          ...refused(
            403,
            'forbidden',
            'This form was submitted from another site and was refused.',
          ),
          headers: {},
        },
      ],
      [
        'include missing pages',
        notFound(),
        {
          status: 404,
          code: 'not_found',
          title: 'Page not found',
          message: 'The page you asked for does not exist.',
          headers: {},
          internal: false,
        },
      ],
    ]);

    it('copy their headers rather than share them', () => {
      const problem = new HttpProblem(413, 'payload_too_large', 'request.too_large', {}, {});
      expect(mapError(problem).headers).to.not.equal(problem.headers);
    });
  });

  describe('Koa errors', () => {
    answers([
      [
        'keep the status of a client error Koa chose to expose',
        koaError(400, 'Malformed URL'),
        refused(400, 'invalid_request', 'Malformed URL'),
      ],
      [
        'keep other exposed client statuses',
        koaError(415, 'Unsupported media type'),
        refused(415, 'invalid_request', 'Unsupported media type'),
      ],
      [
        'hide a client error that is not marked as exposed',
        Object.assign(new Error('upstream said 400: invalid client secret abc123'), {
          status: 400,
        }),
        GENERIC_500,
      ],
      [
        'hide a server error even when it is marked as exposed',
        Object.assign(koaError(502, 'bad gateway to 10.0.0.7'), { expose: true }),
        GENERIC_500,
      ],
    ]);
  });

  describe('store outages', () => {
    const UNAVAILABLE = (store: 'postgres' | 'redis'): MappedError => ({
      status: 503,
      code: 'temporarily_unavailable',
      title: 'Temporarily unavailable',
      message:
        'The service is briefly unavailable. Try again in a few seconds; nothing you entered was lost.',
      headers: { 'Retry-After': '5' },
      internal: false,
      store,
    });
    const pgError = (code: string, message: string) =>
      Object.assign(new Error(message), { code, severity: 'FATAL' });
    const refusedConnection = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED',
      syscall: 'connect',
    });

    answers([
      ...[
        "Stream isn't writeable and enableOfflineQueue options is false",
        'Connection is closed.',
        'Command timed out',
        'Reached the max retries per request limit (which is 0). Refer to "maxRetriesPerRequest" option for details.',
        'LOADING Redis is loading the dataset in memory',
      ].map(
        (m): Row => [
          `answer 503 with Retry-After when Redis says "${m}"`,
          new Error(m),
          UNAVAILABLE('redis'),
        ],
      ),
      ...[
        refusedConnection,
        new AggregateError([refusedConnection], 'connect ECONNREFUSED'),
        new Error('Connection terminated unexpectedly'),
        new Error('timeout exceeded when trying to connect'),
        pgError('57P01', 'terminating connection due to administrator command'),
        pgError('57P03', 'the database system is starting up'),
        pgError('08006', 'connection failure'),
        new QueryFailedError('SELECT 1', [], pgError('57P01', 'terminating connection')),
        new StoreUnavailable('postgres'),
      ].map(
        (e): Row => [
          `answer 503 with Retry-After when Postgres does not answer (${e.message})`,
          e,
          UNAVAILABLE('postgres'),
        ],
      ),
      [
        'leave other database errors alone: a syntax error is still our 500',
        new QueryFailedError('SELEC 1', [], pgError('42601', 'syntax error')),
        GENERIC_500,
      ],
    ]);
  });

  describe('values Postgres refuses as data', () => {
    const nul = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), {
      code: '22021',
    });
    const unstorable = refused(
      400,
      'invalid_request',
      'The request contains a value that cannot be stored.',
    );
    answers([
      ['answer 400: the request carried them', nul, unstorable],
      [
        'also inside TypeORM errors',
        new QueryFailedError('SELECT $1', ['a\u0000'], nul),
        unstorable,
      ],
    ]);
  });

  describe('anything else', () => {
    it('becomes a 500 that says nothing about the cause', () => {
      const secret = 'password authentication failed for user "latchkey" (pw=hunter2)';
      const mapped = mapError(new Error(secret));
      expect(mapped).to.deep.equal(GENERIC_500);
      expect(JSON.stringify(mapped)).to.not.contain('hunter2');
      expect(JSON.stringify(mapped)).to.not.contain('password authentication');
    });

    it('does not show a stack trace carried in the message', () => {
      const error = new TypeError(`Cannot read properties of undefined\n${new Error().stack}`);
      const shown = JSON.stringify(mapError(error));
      expect(mapError(error)).to.deep.equal(GENERIC_500);
      expect(shown).to.not.contain('Cannot read properties');
      expect(shown).to.not.contain('    at ');
    });

    it('covers thrown values that are not errors at all', () => {
      for (const value of ['db down', 42, null, undefined, { message: 'secret' }]) {
        expect(mapError(value), String(value)).to.deep.equal(GENERIC_500);
      }
    });
  });
});

describe('forms shown again', () => {
  const show = () => undefined;

  it('turns an expected error into a refusal worded by the form, on a field if it says so', async () => {
    const thrown = await onForm(
      show,
      { email_taken: { key: 'signup.email_taken', field: 'email' } },
      () => Promise.reject(new domain.EmailTaken()),
    ).catch((e: unknown) => e);
    expect(thrown).to.be.instanceOf(FormRejected);
    const { mapped, rejection } = rejectionOf(thrown as FormRejected);
    expect(mapped.status).to.equal(409);
    expect(rejection).to.include({
      status: 409,
      code: 'email_taken',
      message: t('signup.email_taken'),
    });
    expect(rejection.fields).to.deep.equal({ email: t('signup.email_taken') });
  });

  it('keeps the catalogue wording, status and Retry-After when the form does not reword', async () => {
    const thrown = await onForm(show, { too_many_attempts: {} }, () =>
      Promise.reject(new domain.TooManyAttempts(120)),
    ).catch((e: unknown) => e);
    const { mapped, rejection } = rejectionOf(thrown as FormRejected);
    expect(mapped.headers).to.deep.equal({ 'Retry-After': '120' });
    expect(rejection).to.include({
      status: 429,
      message: 'Too many attempts. Try again in 2 minutes.',
    });
  });

  it('lets errors the form does not expect through to the error page', async () => {
    const busy = new domain.HashingBusy(2);
    const thrown = await onForm(show, { too_many_attempts: {} }, () => Promise.reject(busy)).catch(
      (e: unknown) => e,
    );
    expect(thrown).to.equal(busy);
    const plain = new Error('constructor');
    expect(await onForm(show, {}, () => Promise.reject(plain)).catch((e: unknown) => e)).to.equal(
      plain,
    );
  });

  it('words a route’s own reason as a 400 by default', () => {
    const { mapped, rejection } = rejectionOf(
      new FormRejected(show, { status: 400, key: 'login.missing' }),
    );
    expect(mapped).to.deep.include({ status: 400, code: 'invalid_request', internal: false });
    expect(rejection.message).to.equal('Enter your email and password.');
  });
});

describe('the message catalogue', () => {
  it('fills in named parameters and leaves unknown ones visible', () => {
    expect(t('error.hashing_busy.message', { count: 4 })).to.contain('Wait 4 seconds');
    expect(t('error.hashing_busy.message', { count: 1 })).to.contain('Wait 1 second and');
    expect(t('request.field_too_long')).to.equal('The field "{{field}}" is too long.');
  });

  it('knows its keys and refuses others', () => {
    expect(isMessageKey('login.missing')).to.equal(true);
    expect(isMessageKey('login')).to.equal(false);
    expect(isMessageKey('login.nope')).to.equal(false);
    expect(() => t('login.nope' as 'login.missing')).to.throw('no message');
  });

  it('uses only {{name}} parameters, so i18next can read it as it is', () => {
    const texts: string[] = [];
    const walk = (node: unknown) => {
      if (typeof node === 'string') texts.push(node);
      else for (const inner of Object.values(node as object)) walk(inner);
    };
    walk(en);
    for (const text of texts) expect(text, text).to.not.match(/\$\{|\{(?!\{)\w+\}(?!\})/);
  });
});

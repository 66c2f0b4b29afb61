// mapError: every kind of failure becomes a status and a safe message, never an internal detail.
import { expect } from 'chai';
import Koa from 'koa';
import { errors } from 'oidc-provider';
import { QueryFailedError } from 'typeorm';
import {
  AccountNotFound,
  DomainError,
  EmailTaken,
  HashingBusy,
  IdentityAlreadyLinked,
  InvalidCredentials,
  InvalidInput,
  LastSignInMethod,
  TooManyAttempts,
} from '../../src/accounts/errors.ts';
import { StoreUnavailable } from '../../src/db/store-outages.ts';
import { mapError } from '../../src/http/errors.ts';
import { badRequest, forbidden, HttpProblem, notFound } from '../../src/http/http-errors.ts';

const GENERIC_500 = {
  status: 500,
  code: 'server_error',
  title: 'Something went wrong',
  message: 'An unexpected error occurred. If it keeps happening, quote the request id below.',
  internal: true,
};

/** The error Koa's own ctx.throw raises (an http-errors instance). */
function koaError(status: number, message: string): Error {
  try {
    new Koa().context.throw(status, message);
  } catch (error) {
    return error as Error;
  }
  expect.fail('ctx.throw did not throw');
}

describe('mapError', () => {
  describe('account errors', () => {
    it('answers invalid input with 400 and the message for each field', () => {
      const fields = {
        email: 'Enter your email address.',
        password: 'Use at least 8 characters.',
      };
      expect(mapError(new InvalidInput(fields))).to.deep.equal({
        status: 400,
        code: 'invalid_request',
        title: 'Check your details',
        message: 'Enter your email address. Use at least 8 characters.',
        fields,
        internal: false,
      });
    });

    it('answers a taken email with 409 and a neutral message', () => {
      expect(mapError(new EmailTaken())).to.deep.equal({
        status: 409,
        code: 'conflict',
        title: 'Email unavailable',
        message: 'That email address cannot be used for a new account.',
        internal: false,
      });
    });

    it('answers failed sign-in with 401 and one message that does not say which part was wrong', () => {
      const mapped = mapError(new InvalidCredentials());
      expect(mapped).to.deep.equal({
        status: 401,
        code: 'invalid_credentials',
        title: 'Sign-in failed',
        message: 'The email or password is incorrect.',
        internal: false,
      });
      expect(mapError(new InvalidCredentials())).to.deep.equal(mapped);
    });

    it('answers too many attempts with 429, a Retry-After header and the wait in minutes', () => {
      expect(mapError(new TooManyAttempts(90))).to.deep.equal({
        status: 429,
        code: 'too_many_attempts',
        title: 'Too many attempts',
        message: 'Too many attempts. Try again in 2 minute(s).',
        headers: { 'Retry-After': '90' },
        internal: false,
      });
      expect(mapError(new TooManyAttempts(60)).message).to.equal(
        'Too many attempts. Try again in 1 minute(s).',
      );
    });

    it('answers a full password hashing queue with 503, Retry-After and its own log event', () => {
      expect(mapError(new HashingBusy(3))).to.deep.equal({
        status: 503,
        code: 'temporarily_unavailable',
        title: 'Busy right now',
        message:
          'Too many sign-ins are being checked at this moment. Wait 3 second(s) and try again.',
        headers: { 'Retry-After': '3' },
        internal: false,
        event: 'password_hashing.busy',
      });
    });

    it('answers linking an identity that belongs to another account with 409', () => {
      expect(mapError(new IdentityAlreadyLinked())).to.deep.equal({
        status: 409,
        code: 'conflict',
        title: 'Already linked',
        message: 'This sign-in is already linked to another account.',
        internal: false,
      });
    });

    it('answers removing the last way to sign in with 409', () => {
      expect(mapError(new LastSignInMethod())).to.deep.equal({
        status: 409,
        code: 'conflict',
        title: 'Cannot remove',
        message: 'This is the only way to sign in to the account, so it cannot be removed.',
        internal: false,
      });
    });

    it('answers a missing account with 404', () => {
      expect(mapError(new AccountNotFound())).to.deep.equal({
        status: 404,
        code: 'not_found',
        title: 'Not found',
        message: 'The account does not exist.',
        internal: false,
      });
    });

    it('answers any other account error with 400 and its own code', () => {
      class AccountLocked extends DomainError {
        readonly code = 'account_locked';
      }
      expect(mapError(new AccountLocked('This account is locked.'))).to.deep.equal({
        status: 400,
        code: 'account_locked',
        title: 'Request refused',
        message: 'This account is locked.',
        internal: false,
      });
    });
  });

  describe('oidc-provider errors', () => {
    it('turns a lost interaction session into a friendly 400 page', () => {
      expect(
        mapError(new errors.SessionNotFound('interaction session id cookie not found')),
      ).to.deep.equal({
        status: 400,
        code: 'session_not_found',
        title: 'This page has expired',
        message:
          'This sign-in page has expired or was opened in a different browser. Go back to the application and start signing in again.',
        internal: false,
      });
    });

    it('keeps the status, code and description of client errors', () => {
      expect(
        mapError(new errors.InvalidRequest('missing required parameter: state')),
      ).to.deep.equal({
        status: 400,
        code: 'invalid_request',
        title: 'Request refused',
        message: 'missing required parameter: state',
        internal: false,
      });
      expect(mapError(new errors.AccessDenied('end-user declined'))).to.deep.equal({
        status: 400,
        code: 'access_denied',
        title: 'Request refused',
        message: 'end-user declined',
        internal: false,
      });
    });

    it('shows the public description but never the internal detail', () => {
      const error = new errors.InvalidClientAuth('client secret mismatch for client "app"');
      expect(error.error_detail).to.equal('client secret mismatch for client "app"');
      const mapped = mapError(error);
      expect(mapped).to.deep.equal({
        status: 401,
        code: 'invalid_client',
        title: 'Request refused',
        message: 'client authentication failed',
        internal: false,
      });
      expect(JSON.stringify(mapped)).to.not.contain('mismatch');
    });

    it('falls back to the error code when there is no description', () => {
      expect(mapError(new errors.OIDCProviderError(403, 'forbidden_scope'))).to.deep.equal({
        status: 403,
        code: 'forbidden_scope',
        title: 'Request refused',
        message: 'forbidden_scope',
        internal: false,
      });
    });

    it('turns server-side failures into a generic server_error, keeping the 5xx status', () => {
      const error = new errors.InvalidRequest('redis connection refused at 10.0.0.7:6379', 503);
      const mapped = mapError(error);
      expect(mapped).to.deep.equal({
        status: 503,
        code: 'server_error',
        title: 'Something went wrong',
        message: 'An unexpected error occurred.',
        internal: true,
      });
      expect(JSON.stringify(mapped)).to.not.contain('10.0.0.7');
      expect(mapError(new errors.OIDCProviderError(500, 'adapter_failure')).code).to.equal(
        'server_error',
      );
    });
  });

  describe('our own HTTP problems', () => {
    it('keep their status, code, message and headers', () => {
      const problem = new HttpProblem(413, 'payload_too_large', 'The form is too large.', {
        Connection: 'close',
      });
      const mapped = mapError(problem);
      expect(mapped).to.deep.equal({
        status: 413,
        code: 'payload_too_large',
        title: 'Request refused',
        message: 'The form is too large.',
        headers: { Connection: 'close' },
        internal: false,
      });
      expect(mapped.headers).to.not.equal(problem.headers);
    });

    it('include bad requests, refusals and missing pages', () => {
      expect(mapError(badRequest('The form is incomplete.'))).to.include({
        status: 400,
        code: 'invalid_request',
        title: 'Request refused',
        message: 'The form is incomplete.',
      });
      expect(mapError(forbidden('This form was submitted from another site.'))).to.include({
        status: 403,
        code: 'forbidden',
        title: 'Request refused',
      });
      expect(mapError(notFound())).to.deep.equal({
        status: 404,
        code: 'not_found',
        title: 'Page not found',
        message: 'The page you asked for does not exist.',
        headers: {},
        internal: false,
      });
    });
  });

  describe('Koa errors', () => {
    it('keep the status of a client error Koa chose to expose', () => {
      const error = koaError(400, 'Malformed URL');
      expect(mapError(error)).to.deep.equal({
        status: 400,
        code: 'invalid_request',
        title: 'Request refused',
        message: 'Malformed URL',
        internal: false,
      });
      expect(mapError(koaError(415, 'Unsupported media type')).status).to.equal(415);
    });

    it('hide a client error that is not marked as exposed', () => {
      const error = Object.assign(new Error('upstream said 400: invalid client secret abc123'), {
        status: 400,
      });
      expect(mapError(error)).to.deep.equal(GENERIC_500);
    });

    it('hide a server error even when it is marked as exposed', () => {
      const error = Object.assign(koaError(502, 'bad gateway to 10.0.0.7'), { expose: true });
      expect(mapError(error)).to.deep.equal(GENERIC_500);
    });
  });

  describe('store outages', () => {
    const UNAVAILABLE = (store: string) => ({
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

    it('answer 503 with Retry-After when Redis does not answer', () => {
      for (const message of [
        "Stream isn't writeable and enableOfflineQueue options is false",
        'Connection is closed.',
        'Command timed out',
        'Reached the max retries per request limit (which is 0). Refer to "maxRetriesPerRequest" option for details.',
        'LOADING Redis is loading the dataset in memory',
      ]) {
        expect(mapError(new Error(message)), message).to.deep.equal(UNAVAILABLE('redis'));
      }
    });

    it('answer 503 with Retry-After when Postgres does not answer, also inside TypeORM errors', () => {
      const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
        code: 'ECONNREFUSED',
        syscall: 'connect',
      });
      for (const error of [
        refused,
        new AggregateError([refused], 'connect ECONNREFUSED'),
        new Error('Connection terminated unexpectedly'),
        new Error('timeout exceeded when trying to connect'),
        pgError('57P01', 'terminating connection due to administrator command'),
        pgError('57P03', 'the database system is starting up'),
        pgError('08006', 'connection failure'),
        new QueryFailedError('SELECT 1', [], pgError('57P01', 'terminating connection')),
        new StoreUnavailable('postgres'),
      ]) {
        expect(mapError(error), error.message).to.deep.equal(UNAVAILABLE('postgres'));
      }
    });

    it('leave other database errors alone: a syntax error is still our 500', () => {
      const syntax = new QueryFailedError('SELEC 1', [], pgError('42601', 'syntax error'));
      expect(mapError(syntax)).to.deep.equal(GENERIC_500);
    });
  });

  describe('values Postgres refuses as data', () => {
    it('answer 400: the request carried them', () => {
      const nul = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), {
        code: '22021',
      });
      for (const error of [nul, new QueryFailedError('SELECT $1', ['a\u0000'], nul)]) {
        expect(mapError(error)).to.deep.equal({
          status: 400,
          code: 'invalid_request',
          title: 'Request refused',
          message: 'The request contains a value that cannot be stored.',
          internal: false,
        });
      }
    });
  });

  describe('anything else', () => {
    it('becomes a 500 that says nothing about the cause', () => {
      const secret = 'password authentication failed for user "latchkey" (pw=hunter2)';
      const error = new Error(secret);
      const mapped = mapError(error);
      expect(mapped).to.deep.equal(GENERIC_500);
      const shown = JSON.stringify(mapped);
      expect(shown).to.not.contain('hunter2');
      expect(shown).to.not.contain('password authentication');
    });

    it('does not show a stack trace carried in the message', () => {
      const error = new TypeError(`Cannot read properties of undefined\n${new Error().stack}`);
      const mapped = mapError(error);
      expect(mapped).to.deep.equal(GENERIC_500);
      expect(JSON.stringify(mapped)).to.not.contain('Cannot read properties');
      expect(JSON.stringify(mapped)).to.not.contain('    at ');
    });

    it('covers thrown values that are not errors at all', () => {
      for (const value of ['db down', 42, null, undefined, { message: 'secret' }]) {
        expect(mapError(value), String(value)).to.deep.equal(GENERIC_500);
      }
    });
  });
});

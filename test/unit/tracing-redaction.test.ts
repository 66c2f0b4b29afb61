// What spans may hold: path words and parameter names, Redis commands and key shapes; never ids,
// values, passwords or payloads.
import { expect } from 'chai';
import {
  keyPattern,
  redactedPath,
  redactedQuery,
  redisStatement,
} from '../../src/tracing/redaction.ts';

describe('span redaction', () => {
  it('keeps the names of query parameters and drops every value', () => {
    expect(redactedQuery('/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj&iss=x')).to.equal(
      'code=*&state=*&iss=*',
    );
    expect(redactedQuery('/authorize?login_hint=ann%40example.com&scope=openid')).to.equal(
      'login_hint=*&scope=*',
    );
    expect(redactedQuery('/token')).to.equal('');
    expect(redactedQuery('/x?')).to.equal('');
    expect(redactedQuery(undefined)).to.equal('');
  });

  it('keeps the words of a path and replaces ids', () => {
    expect(redactedPath('/interaction/pV3yV4wqkqPcJ5bgtkS8O/login')).to.equal(
      '/interaction/*/login',
    );
    expect(redactedPath('/.well-known/openid-configuration')).to.equal(
      '/.well-known/openid-configuration',
    );
    expect(redactedPath('/account/passkeys/0b8f9c1e-3a57-4d2e-9f4b-7c1d2e3f4a5b/remove')).to.equal(
      '/account/passkeys/*/remove',
    );
    expect(redactedPath('/assets/latchkey.css?v=1')).to.equal('/assets/latchkey.css');
    // An id of letters only is still an id when it is as long as an interaction's (21).
    expect(redactedPath('/interaction/abcdefghijklmnopqrstu')).to.equal('/interaction/*');
  });

  it('shows a Redis key as its fixed words, with ids and hashes as *', () => {
    expect(keyPattern('latchkey:oidc:Session:3q2-7wEAAAB5bXg0ZkZ0UlhqQVF5bFQ0N2dwWQ')).to.equal(
      'latchkey:oidc:Session:*',
    );
    expect(keyPattern(Buffer.from('latchkey:throttle:login:source:abc123=='))).to.equal(
      'latchkey:throttle:login:source:*',
    );
  });

  it('gives a Redis command its name and key shapes only', () => {
    expect(
      redisStatement('set', ['latchkey:signin-ticket:Zk9x2', '{"accountId":"a"}', 'PX', 60000]),
    ).to.equal('set latchkey:signin-ticket:*');
    expect(
      redisStatement('evalsha', [
        'e0e1f9',
        '2',
        'latchkey:oidc:Grant:Q1w2',
        'latchkey:oidc:meta:{latchkey:oidc:Grant:Q1w2}',
        '{"payload":"secret"}',
      ]),
    ).to.equal('evalsha latchkey:oidc:Grant:* latchkey:oidc:meta:{latchkey:oidc:Grant:*}');
    expect(redisStatement('get', ['latchkey:throttle:{throttle}:login:Zk9x2'])).to.equal(
      'get latchkey:throttle:{throttle}:login:*',
    );
    expect(redisStatement('DEL', ['latchkey:a:Xy12', 'latchkey:b:Zz99'])).to.equal(
      'del latchkey:a:* latchkey:b:*',
    );
    expect(redisStatement('auth', ['default', 'hunter2-password'])).to.equal('auth');
    expect(redisStatement('hello', ['3', 'AUTH', 'default', 'hunter2'])).to.equal('hello');
    expect(redisStatement('script', ['load', 'return 1'])).to.equal('script');
    expect(redisStatement('evalsha', ['sha', 'not a number', 'x'])).to.equal('evalsha');
  });
});

// URL and host helpers: what counts as loopback, and how a service is named in messages.
import { expect } from 'chai';
import { describeUrl, isLoopbackHost, plainAddress } from '../../src/net.ts';

describe('isLoopbackHost', () => {
  it('knows localhost, its subdomains and the whole 127/8 block', () => {
    for (const host of ['localhost', 'app.localhost', '127.0.0.1', '127.255.0.9', '[::1]']) {
      expect(isLoopbackHost(host), host).to.equal(true);
    }
  });

  it('does not mistake names that merely start with 127. or localhost for loopback', () => {
    for (const host of ['127.example.com', '127.0.0.1.nip.io', 'localhost.example.com']) {
      expect(isLoopbackHost(host), host).to.equal(false);
    }
  });
});

describe('describeUrl', () => {
  it('names host, port and path but never the credentials', () => {
    expect(describeUrl('postgres://user:secret@db.internal:5432/latchkey')).to.equal(
      'db.internal:5432/latchkey',
    );
    expect(describeUrl('redis://:secret@127.0.0.1:6379/')).to.equal('127.0.0.1:6379');
  });

  it('says so when the URL cannot be parsed', () => {
    expect(describeUrl('not a url')).to.equal('an unparsable URL');
  });
});

describe('plainAddress', () => {
  it('writes an IPv4-mapped IPv6 address as IPv4 and leaves every other address alone', () => {
    expect(plainAddress('::ffff:172.22.0.1')).to.equal('172.22.0.1');
    expect(plainAddress('::FFFF:10.0.0.7')).to.equal('10.0.0.7');
    expect(plainAddress('203.0.113.9')).to.equal('203.0.113.9');
    expect(plainAddress('2001:db8::1')).to.equal('2001:db8::1');
    expect(plainAddress('::ffff:abcd')).to.equal('::ffff:abcd');
  });
});

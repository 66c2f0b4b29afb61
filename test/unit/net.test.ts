// URL and host helpers: what counts as loopback, and how a service is named in messages.
import { expect } from 'chai';
import { describeUrl, isLoopbackHost } from '../../src/net.ts';

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

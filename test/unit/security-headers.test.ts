// The security headers, built once: the CSP with its per-response nonce, HSTS for https issuers.
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { expect } from 'chai';
import { cspNonce } from '../../src/http/request-context.ts';
import { securityHeaderSet } from '../../src/http/security-headers.ts';

function headersFor(options: Parameters<typeof securityHeaderSet>[0], nonce: string) {
  const res = new ServerResponse(new IncomingMessage(new Socket()));
  securityHeaderSet(options).apply(res, nonce);
  return res.getHeaders();
}

describe('security headers', () => {
  it('put the nonce in script-src and list the form and image origins', () => {
    const headers = headersFor(
      { https: false, formTargets: ['https://app.example'], imageOrigins: ['https://cdn.example'] },
      'abc',
    );
    expect(headers['content-security-policy']).to.equal(
      "default-src 'none';script-src 'nonce-abc' 'strict-dynamic';style-src 'self';img-src 'self' https://cdn.example;font-src 'self';connect-src 'self';manifest-src 'self';form-action 'self' https://app.example;frame-ancestors 'none';base-uri 'none';object-src 'none'",
    );
    expect(headers['x-frame-options']).to.equal('DENY');
    expect(headers['cache-control']).to.equal('no-store');
    expect(headers['strict-transport-security']).to.equal(undefined);
  });

  it('add HSTS and upgrade-insecure-requests for an https issuer', () => {
    const headers = headersFor({ https: true, formTargets: [], imageOrigins: [] }, 'abc');
    expect(headers['strict-transport-security']).to.equal('max-age=31536000; includeSubDomains');
    expect(String(headers['content-security-policy'])).to.match(/;upgrade-insecure-requests$/);
  });

  it('refuse an origin that would end a directive early', () => {
    expect(() =>
      securityHeaderSet({
        https: false,
        formTargets: ["https://a.example; script-src 'unsafe-inline'"],
        imageOrigins: [],
      }),
    ).to.throw(/form-action/);
  });

  it('never hand out the same nonce twice', () => {
    const nonces = Array.from({ length: 2000 }, () => cspNonce());
    expect(new Set(nonces).size).to.equal(2000);
    for (const n of nonces) expect(Buffer.from(n, 'base64')).to.have.length(16);
  });
});

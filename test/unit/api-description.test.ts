// The served form of docs/openapi.yaml, and the contract check the integration tests rely on:
// it must refuse every kind of mismatch, or a passing contract test would prove nothing.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { describedFor, readApiDescription } from '../../src/http/api-description.ts';
import { ApiContract, type Exchange } from '../support/openapi.ts';

const tiny = {
  openapi: '3.1.1',
  info: { title: 't', version: '1' },
  paths: {
    '/things/{id}': {
      get: {
        responses: {
          '200': {
            description: 'a thing',
            headers: { ETag: { required: true, schema: { type: 'string', pattern: '^"' } } },
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } },
          },
          '404': { $ref: '#/components/responses/Missing' },
        },
      },
    },
    '/things': {
      post: {
        requestBody: {
          required: true,
          content: {
            'application/x-www-form-urlencoded': {
              schema: {
                type: 'object',
                required: ['name'],
                properties: { name: { type: 'string', minLength: 1 } },
              },
            },
          },
        },
        responses: {
          '201': { description: 'made' },
          '4XX': { $ref: '#/components/responses/Missing' },
        },
      },
    },
  },
  components: {
    schemas: {
      Thing: {
        type: 'object',
        required: ['id'],
        additionalProperties: false,
        properties: { id: { type: 'integer' } },
      },
    },
    responses: {
      Missing: {
        description: 'no such thing',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['error'],
              properties: { error: { type: 'string' } },
            },
          },
        },
      },
    },
    securitySchemes: {
      oauth2: {
        type: 'oauth2',
        flows: {
          authorizationCode: {
            authorizationUrl: '/authorize',
            tokenUrl: 'https://elsewhere.example/token',
            scopes: {},
          },
        },
      },
      oidc: { type: 'openIdConnect', openIdConnectUrl: '/.well-known/openid-configuration' },
    },
  },
};

const origin = 'http://127.0.0.1:9';
function exchange(overrides: Partial<Exchange> & { path?: string }): Exchange {
  const { path: at = '/things/7', ...rest } = overrides;
  return {
    method: 'GET',
    url: new URL(at, origin),
    requestHeaders: {},
    status: 200,
    headers: { 'content-type': 'application/json; charset=utf-8', etag: '"x"' },
    body: '{"id":7}',
    ...rest,
  };
}

describe('the API description', () => {
  describe('as served', () => {
    it("names the issuer as its only server and makes the schemes' relative URLs absolute", () => {
      const before = JSON.stringify(tiny);
      const served = describedFor(tiny, 'https://id.example.com') as typeof tiny & {
        servers: unknown;
      };
      expect(served.servers).to.deep.equal([{ url: 'https://id.example.com' }]);
      const flow = served.components.securitySchemes.oauth2.flows.authorizationCode;
      expect(flow.authorizationUrl).to.equal('https://id.example.com/authorize');
      expect(flow.tokenUrl).to.equal('https://elsewhere.example/token');
      expect(served.components.securitySchemes.oidc.openIdConnectUrl).to.equal(
        'https://id.example.com/.well-known/openid-configuration',
      );
      expect(JSON.stringify(tiny)).to.equal(before);
    });

    it('reads the shipped document, and refuses a file that is not OpenAPI 3.1', async () => {
      expect(readApiDescription().openapi).to.match(/^3\.1\./);
      const dir = await mkdtemp(path.join(tmpdir(), 'latchkey-openapi-'));
      try {
        const old = path.join(dir, 'old.yaml');
        await writeFile(old, 'openapi: 3.0.3\ninfo: {title: t, version: "1"}\npaths: {}\n');
        expect(() => readApiDescription(old)).to.throw('expected 3.1');
        const list = path.join(dir, 'list.yaml');
        await writeFile(list, '- a\n- b\n');
        expect(() => readApiDescription(list)).to.throw('is not an OpenAPI document');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  describe('the contract check', () => {
    const contract = new ApiContract(tiny);

    it('passes a documented answer, through $refs, and ignores paths outside the document', () => {
      contract.check(exchange({}));
      contract.check(
        exchange({
          status: 404,
          headers: { 'content-type': 'application/json' },
          body: '{"error":"x"}',
        }),
      );
      contract.check(exchange({ path: '/elsewhere', status: 500, body: 'boom' }));
    });

    it('refuses an undocumented status or method', () => {
      expect(() => contract.check(exchange({ status: 500 }))).to.throw('status not documented');
      expect(() => contract.check(exchange({ method: 'DELETE' }))).to.throw(
        'method not in the document',
      );
    });

    it('refuses a body, media type or header that does not match', () => {
      expect(() => contract.check(exchange({ body: '{"id":"7"}' }))).to.throw('must be integer');
      expect(() => contract.check(exchange({ body: '{"id":7,"secret":1}' }))).to.throw(
        'must NOT have additional properties',
      );
      expect(() => contract.check(exchange({ body: 'not json' }))).to.throw('is not JSON');
      expect(() =>
        contract.check(exchange({ headers: { 'content-type': 'text/html', etag: '"x"' } })),
      ).to.throw('content type text/html not documented');
      expect(() =>
        contract.check(exchange({ headers: { 'content-type': 'application/json' } })),
      ).to.throw('header ETag missing');
      expect(() =>
        contract.check(exchange({ headers: { 'content-type': 'application/json', etag: 'x' } })),
      ).to.throw('header ETag');
    });

    it('refuses a body where none is documented, and an accepted request it does not describe', () => {
      const post = (body: string, status = 201, answer = '') =>
        exchange({
          method: 'POST',
          path: '/things',
          status,
          headers: {},
          body: answer,
          requestHeaders: { 'Content-Type': 'application/x-www-form-urlencoded' },
          requestBody: body,
        });
      contract.check(post('name=a'));
      expect(() => contract.check(post('name=a', 201, 'hello'))).to.throw('a body where none');
      expect(() => contract.check(post('name='))).to.throw('request body');
      expect(() => contract.check(post(''))).to.throw('without the required request body');
      // A refused request may be anything: only accepted ones must match the document.
      contract.check({
        ...post('name=', 400, '{"error":"invalid"}'),
        headers: { 'content-type': 'application/json' },
      });
    });

    it('lists the operations no exchange reached', () => {
      const fresh = new ApiContract(tiny);
      expect(fresh.unexercised()).to.deep.equal(['GET /things/{id}', 'POST /things']);
      fresh.check(exchange({}));
      expect(fresh.unexercised()).to.deep.equal(['POST /things']);
    });
  });
});

// parseClients: the clients file checked against our policy, with defaults filled in.
import { expect } from 'chai';
import { ClientsFileError, clientLogoOrigins, parseClients } from '../../src/oidc/clients.ts';

const SECRET = 's'.repeat(32);

const confidential = {
  client_id: 'billing-web',
  client_secret: SECRET,
  client_name: 'Billing',
  redirect_uris: ['https://billing.example.com/callback'],
  post_logout_redirect_uris: ['https://billing.example.com/'],
};

const publicClient = {
  client_id: 'cli.tool_v2~beta',
  redirect_uris: ['http://127.0.0.1:8765/callback', 'http://localhost/callback'],
};

/** The problems parseClients reports for json; fails the test when it accepts json. */
function problemsOf(json: unknown, file?: string): readonly string[] {
  try {
    parseClients(json, file);
  } catch (error) {
    expect(error).to.be.instanceOf(ClientsFileError);
    return (error as ClientsFileError).problems;
  }
  expect.fail('parseClients accepted a clients file it should refuse');
}

/** The problems of the confidential client with these redirect URIs. */
const redirectProblems = (uris: unknown[]) =>
  problemsOf([{ ...confidential, redirect_uris: uris }]);

/** What a client gets when its entry leaves these out. */
const DEFAULTS = {
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  first_party: false,
  require_mfa: false,
};

describe('parseClients', () => {
  describe('a valid file', () => {
    it('keeps a confidential client and fills in the defaults', () => {
      expect(parseClients([confidential])).to.deep.equal([
        { ...confidential, token_endpoint_auth_method: 'client_secret_basic', ...DEFAULTS },
      ]);
    });

    it('makes a client without a secret public, authenticating with none', () => {
      const [client] = parseClients([publicClient]);
      expect(client).to.deep.equal({
        ...publicClient,
        token_endpoint_auth_method: 'none',
        ...DEFAULTS,
      });
    });

    it('keeps explicit choices and marks first-party applications', () => {
      const [client] = parseClients([
        {
          ...confidential,
          token_endpoint_auth_method: 'client_secret_post',
          grant_types: ['authorization_code'],
          first_party: true,
        },
      ]);
      expect(client).to.include({
        token_endpoint_auth_method: 'client_secret_post',
        first_party: true,
      });
      expect(client?.grant_types).to.deep.equal(['authorization_code']);
    });

    it('accepts an empty list', () => {
      expect(parseClients([])).to.deep.equal([]);
    });

    it('does not change the objects it was given', () => {
      const entry = { ...confidential };
      parseClients([entry]);
      expect(entry).to.deep.equal(confidential);
    });
  });

  describe('a file that breaks the policy', () => {
    it('must hold an array', () => {
      expect(problemsOf({ clients: [confidential] })).to.deep.equal([
        'the file must hold a JSON array',
      ]);
      expect(problemsOf(null)).to.deep.equal(['the file must hold a JSON array']);
    });

    it('needs objects as entries', () => {
      expect(problemsOf([confidential, 'billing-web', null, []])).to.deep.equal([
        'client #2 must be an object',
        'client #3 must be an object',
        'client #4 must be an object',
      ]);
    });

    it('refuses a client secret shorter than 32 characters', () => {
      expect(problemsOf([{ ...confidential, client_secret: 's'.repeat(31) }])).to.deep.equal([
        'client "billing-web": client_secret must be a string of at least 32 characters',
      ]);
    });

    it('refuses a secret on a public client', () => {
      expect(
        problemsOf([
          { ...publicClient, client_secret: SECRET, token_endpoint_auth_method: 'none' },
        ]),
      ).to.deep.equal(['client "cli.tool_v2~beta": a public client must not have a secret']);
    });

    it('refuses a confidential authentication method without a secret', () => {
      expect(
        problemsOf([{ ...publicClient, token_endpoint_auth_method: 'client_secret_basic' }]),
      ).to.deep.equal([
        'client "cli.tool_v2~beta": client_secret must be a string of at least 32 characters',
      ]);
    });

    it('refuses plain http redirects except to loopback', () => {
      expect(
        redirectProblems([
          'http://billing.example.com/callback',
          'http://127.example.com/callback',
          'http://127.0.0.1:9000/callback',
        ]),
      ).to.deep.equal([
        'client "billing-web" redirect_uris[0] must use https (plain http only for loopback): http://billing.example.com/callback',
        'client "billing-web" redirect_uris[1] must use https (plain http only for loopback): http://127.example.com/callback',
      ]);
    });

    it('refuses redirects with a fragment, even an empty one', () => {
      expect(
        redirectProblems([
          'https://billing.example.com/cb#done',
          'https://billing.example.com/cb#',
        ]),
      ).to.deep.equal([
        'client "billing-web" redirect_uris[0] must not have a fragment: https://billing.example.com/cb#done',
        'client "billing-web" redirect_uris[1] must not have a fragment: https://billing.example.com/cb#',
      ]);
    });

    it('refuses redirects that are missing, relative or use a dangerous scheme', () => {
      expect(redirectProblems([])).to.deep.equal([
        'client "billing-web": redirect_uris must be a non-empty array',
      ]);
      expect(
        problemsOf([
          {
            ...confidential,
            redirect_uris: ['/callback', 'javascript:alert(1)', 7],
            post_logout_redirect_uris: ['data:text/html,bye'],
          },
        ]),
      ).to.deep.equal([
        'client "billing-web" redirect_uris[0] is not an absolute URL: /callback',
        'client "billing-web" redirect_uris[1] uses a forbidden scheme: javascript:alert(1)',
        'client "billing-web" redirect_uris[2] must be a string',
        'client "billing-web" post_logout_redirect_uris[0] uses a forbidden scheme: data:text/html,bye',
      ]);
    });

    it('refuses a client_id listed twice', () => {
      expect(problemsOf([confidential, { ...confidential }])).to.deep.equal([
        'client "billing-web" is listed twice',
      ]);
    });

    it('refuses a client_id that is missing, too long or has other characters', () => {
      expect(
        problemsOf([
          { ...confidential, client_id: undefined },
          { ...confidential, client_id: 'billing web' },
          { ...confidential, client_id: 'a'.repeat(129) },
          { ...confidential, client_id: 42 },
        ]),
      ).to.deep.equal([
        'client #1: client_id must be 1-128 characters of letters, digits, . _ ~ -',
        'client #2: client_id must be 1-128 characters of letters, digits, . _ ~ -',
        'client #3: client_id must be 1-128 characters of letters, digits, . _ ~ -',
        'client #4: client_id must be 1-128 characters of letters, digits, . _ ~ -',
      ]);
    });

    it('refuses implicit and hybrid response types', () => {
      expect(problemsOf([{ ...confidential, response_types: ['code', 'id_token'] }])).to.deep.equal(
        ['client "billing-web": response_types may only contain "code"'],
      );
    });

    it('refuses grant types other than authorization_code and refresh_token', () => {
      expect(
        problemsOf([{ ...confidential, grant_types: ['authorization_code', 'password'] }]),
      ).to.deep.equal([
        'client "billing-web": grant_types may only contain authorization_code, refresh_token and urn:ietf:params:oauth:grant-type:device_code (client_credentials is for machine clients: "machine": true)',
      ]);
    });

    it('accepts a device client without redirect URIs or response types', () => {
      const tv = {
        client_id: 'tv',
        token_endpoint_auth_method: 'none',
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
      };
      const [parsed] = parseClients([tv]);
      expect(parsed?.response_types).to.deep.equal([]);
      expect(parsed?.redirect_uris).to.equal(undefined);
    });

    it('refuses a device client with redirects, response types or the code grant', () => {
      const device = 'urn:ietf:params:oauth:grant-type:device_code';
      expect(
        problemsOf([
          {
            client_id: 'tv',
            token_endpoint_auth_method: 'none',
            grant_types: [device, 'authorization_code'],
            redirect_uris: ['https://tv.example/cb'],
            response_types: ['code'],
          },
        ]),
      ).to.deep.equal([
        'client "tv": a device client must not have redirect_uris',
        `client "tv": a device client's grant_types may only contain ${device} and refresh_token`,
        'client "tv": a device client\'s response_types must be empty',
      ]);
    });

    it('keeps require_mfa: every sign-in to the application needs two factors', () => {
      const [client] = parseClients([{ ...confidential, require_mfa: true }]);
      expect(client?.require_mfa).to.equal(true);
    });

    it('refuses require_mfa unless it is a boolean, with every other problem', () => {
      expect(
        problemsOf([
          { ...confidential, require_mfa: 'yes' },
          { ...publicClient, client_id: 'other', require_mfa: 1 },
        ]),
      ).to.deep.equal([
        'client "billing-web": require_mfa must be true or false',
        'client "other": require_mfa must be true or false',
      ]);
    });

    it('refuses first_party unless it is a boolean', () => {
      expect(problemsOf([{ ...confidential, first_party: 'yes' }])).to.deep.equal([
        'client "billing-web": first_party must be true or false',
      ]);
    });

    it('refuses an unknown authentication method', () => {
      expect(
        problemsOf([{ ...confidential, token_endpoint_auth_method: 'tls_client_auth' }]),
      ).to.deep.equal([
        'client "billing-web": token_endpoint_auth_method must be one of client_secret_basic, client_secret_post, private_key_jwt, none',
      ]);
    });

    it('reports every problem in every client at once, naming the file', () => {
      let error: unknown;
      try {
        parseClients(
          [
            { ...confidential, client_secret: 'short', first_party: 'yes' },
            { ...publicClient, client_secret: SECRET, token_endpoint_auth_method: 'none' },
            {
              client_id: 'partner',
              client_secret: SECRET,
              redirect_uris: ['http://partner.example/cb'],
            },
            { ...confidential, redirect_uris: ['https://billing.example.com/cb#x'] },
            { client_id: 'bad id!', redirect_uris: ['https://x.example/cb'] },
            {
              client_id: 'legacy',
              client_secret: SECRET,
              redirect_uris: ['https://legacy.example/cb'],
              response_types: ['id_token token'],
              grant_types: ['implicit'],
            },
          ],
          '/etc/latchkey/clients.json',
        );
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(ClientsFileError);
      const { name, message, problems } = error as ClientsFileError;
      expect(name).to.equal('ClientsFileError');
      expect(problems).to.deep.equal([
        'client "billing-web": client_secret must be a string of at least 32 characters',
        'client "billing-web": first_party must be true or false',
        'client "cli.tool_v2~beta": a public client must not have a secret',
        'client "partner" redirect_uris[0] must use https (plain http only for loopback): http://partner.example/cb',
        'client "billing-web" is listed twice',
        'client "billing-web" redirect_uris[0] must not have a fragment: https://billing.example.com/cb#x',
        'client #5: client_id must be 1-128 characters of letters, digits, . _ ~ -',
        'client "legacy": grant_types may only contain authorization_code, refresh_token and urn:ietf:params:oauth:grant-type:device_code (client_credentials is for machine clients: "machine": true)',
        'client "legacy": response_types may only contain "code"',
      ]);
      expect(message).to.equal(
        `Invalid clients file /etc/latchkey/clients.json:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      );
    });

    it('accepts https display URIs (plain http on loopback) and refuses the rest', () => {
      const display = {
        logo_uri: 'https://cdn.billing.example.com/logo.png',
        policy_uri: 'https://billing.example.com/privacy',
        tos_uri: 'http://localhost:8080/terms',
      };
      expect(parseClients([{ ...confidential, ...display }])[0]).to.include(display);
      expect(
        problemsOf([
          {
            ...confidential,
            logo_uri: 'http://cdn.billing.example.com/logo.png',
            policy_uri: 'javascript:alert(1)',
            tos_uri: 42,
            client_uri: 'https://user:pw@billing.example.com/',
          },
        ]),
      ).to.deep.equal([
        'client "billing-web" logo_uri must use https (plain http only for loopback): http://cdn.billing.example.com/logo.png',
        'client "billing-web" policy_uri must be an absolute https URL: javascript:alert(1)',
        'client "billing-web" tos_uri must be an absolute https URL: 42',
        'client "billing-web" client_uri must not contain credentials: https://user:pw@billing.example.com/',
      ]);
    });

    it('refuses plain http display URIs, even on loopback, in production', () => {
      const local = { ...confidential, logo_uri: 'http://127.0.0.1:8080/logo.png' };
      expect(parseClients([local])[0]?.logo_uri).to.equal(local.logo_uri);
      expect(() => parseClients([local], 'clients.json', { production: true })).to.throw(
        'client "billing-web" logo_uri must use https when NODE_ENV is production: http://127.0.0.1:8080/logo.png',
      );
    });

    it('accepts back-channel logout registrations, plain http only outside production or on private networks', () => {
      const app = {
        ...confidential,
        backchannel_logout_uri: 'http://shop:8080/backchannel-logout',
        backchannel_logout_session_required: true,
      };
      expect(parseClients([app])[0]?.backchannel_logout_uri).to.equal(app.backchannel_logout_uri);
      expect(() => parseClients([app], 'clients.json', { production: true })).to.throw(
        'backchannel_logout_uri must be an absolute https URL',
      );
      const demo = parseClients([app], 'clients.json', { production: true, privateNetwork: true });
      expect(demo[0]?.backchannel_logout_session_required).to.equal(true);
      expect(
        problemsOf([
          {
            ...confidential,
            backchannel_logout_uri: 'https://a.example/logout#x',
            backchannel_logout_session_required: 'yes',
          },
        ]),
      ).to.have.length(2);
    });

    it('lists each logo origin once for the CSP', () => {
      const logo = (id: string, logo_uri?: string) => ({
        ...confidential,
        client_id: id,
        ...(logo_uri ? { logo_uri } : {}),
      });
      const clients = parseClients([
        logo('a', 'https://cdn.example.com/a.png'),
        logo('b', 'https://cdn.example.com/b.svg'),
        logo('c', 'https://img.example.org:8443/c.png'),
        logo('d'),
      ]);
      expect(clientLogoOrigins(clients)).to.deep.equal([
        'https://cdn.example.com',
        'https://img.example.org:8443',
      ]);
    });

    it('names the CLIENTS_FILE setting when no file name is given', () => {
      try {
        parseClients('not a list');
      } catch (error) {
        expect((error as Error).message).to.equal(
          'Invalid clients file CLIENTS_FILE:\n  - the file must hold a JSON array',
        );
        return;
      }
      expect.fail('parseClients accepted a string');
    });
  });
});

// clients:list: the relying parties in CLIENTS_FILE, without their secrets.
import { DEVICE_CODE_GRANT, loadClients } from '../oidc/clients.ts';
import { withoutOptions } from './command.ts';
import { say } from './output.ts';

export const listClientsCommand = withoutOptions(
  'clients:list',
  'list the clients in CLIENTS_FILE (no secrets)',
  async (config) => {
    if (config.clientsFile === undefined) {
      say('CLIENTS_FILE is not set: no clients are configured.');
      return;
    }
    const clients = await loadClients(config.clientsFile, {
      production: config.production,
      privateNetwork: config.backchannelAllowPrivateNetwork,
    });
    say(`${clients.length} client(s) in ${config.clientsFile}`);
    for (const client of clients) {
      const method = client.token_endpoint_auth_method ?? 'client_secret_basic';
      say();
      say(client.client_id);
      say(`  name:          ${client.client_name ?? '-'}`);
      say(`  type:          ${method === 'none' ? 'public' : `confidential (${method})`}`);
      say(`  first party:   ${client.first_party === true ? 'yes' : 'no'}`);
      if (client.machine === true) {
        const audiences = Object.entries(client.resources ?? {}).map(
          ([audience, scopes]) => `${audience} (${scopes.join(' ')})`,
        );
        say(`  machine:       client_credentials for ${audiences.join(', ')}`);
      } else if (client.grant_types?.includes(DEVICE_CODE_GRANT)) {
        say('  sign-in:       device flow (a user code, no redirects)');
      } else {
        say(`  redirect URIs: ${(client.redirect_uris ?? []).join(', ')}`);
      }
      const resources = Object.entries(client.resources ?? {});
      if (resources.length > 0) {
        say(`  resources:     ${resources.map(([a, s]) => `${a} (${s.join(' ')})`).join(', ')}`);
      }
      if (client.dpop_bound_access_tokens === true) say('  DPoP:          required');
      if (client.post_logout_redirect_uris?.length) {
        say(`  after logout:  ${client.post_logout_redirect_uris.join(', ')}`);
      }
    }
  },
);

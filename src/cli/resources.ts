// resources:list: the APIs in RESOURCE_SERVERS_FILE (and Latchkey's own /api), with the clients
// that may ask for each.
import { ClientsFileError, loadClients } from '../oidc/clients.ts';
import { loadResourceServers } from '../oidc/resource-servers.ts';
import { withoutOptions } from './command.ts';
import { say } from './output.ts';

export const listResourcesCommand = withoutOptions(
  'resources:list',
  'list the resource servers (APIs), their scopes and the clients allowed each',
  async (config) => {
    const servers = await loadResourceServers(config.resourceServersFile, config.issuer);
    const clients = await loadClients(config.clientsFile, {
      production: config.production,
      privateNetwork: config.backchannelAllowPrivateNetwork,
    });
    const problems = servers.clientProblems(clients);
    const list = servers.list();
    say(
      config.resourceServersFile === undefined
        ? "RESOURCE_SERVERS_FILE is not set: only Latchkey's own API."
        : `${list.length} resource server(s), from ${config.resourceServersFile}`,
    );
    for (const server of list) {
      say();
      say(server.audience);
      say(`  name:          ${server.name}`);
      say(
        `  tokens:        ${server.format === 'jwt' ? 'JWT (RFC 9068), checked with the JWKS' : 'opaque, checked by introspection'}; ${server.accessTokenTtlSeconds} s`,
      );
      say(
        `  who:           ${server.firstPartyOnly ? 'first-party applications only' : 'any client that lists it'}`,
      );
      say('  scopes:');
      for (const scope of server.scopes) {
        const text =
          servers.describe(server.audience, scope.name) ?? '(wording from the catalogue)';
        say(`    ${scope.name.padEnd(20)} ${text}`);
      }
      const allowed = clients
        .map((c) => ({
          id: c.client_id,
          access: servers.allowedResourceScopes(c, server.audience),
        }))
        .filter((c) => c.access.allowed)
        .map((c) => `${c.id} (${c.access.allowed ? c.access.scopes.join(' ') : ''})`);
      say(`  clients:       ${allowed.length > 0 ? allowed.join(', ') : '-'}`);
    }
    // The server refuses to start with these: say so as the boot would.
    if (problems.length > 0) {
      throw new ClientsFileError(config.clientsFile ?? 'CLIENTS_FILE', problems);
    }
  },
);

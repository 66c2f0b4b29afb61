// The OIDC clients from CLIENTS_FILE: read, checked against our policy, defaults applied.
import { readFile } from 'node:fs/promises';
import type { ClientMetadata } from 'oidc-provider';
import { isLoopbackHost } from '../net.ts';
import { CLIENT_CREDENTIALS_GRANT, checkClientKeys, checkMachine } from './machine-clients.ts';
import { checkResourcesField } from './resource-servers.ts';

export interface ClientEntry extends ClientMetadata {
  client_id: string;
  /** Latchkey extension: consent is implied for first-party applications. */
  first_party?: boolean;
  /** Latchkey extension: every sign-in to this application needs two factors (mfa-policy.ts). */
  require_mfa?: boolean;
  /** Latchkey extension: a service acting as itself (client_credentials only; machine-clients.ts). */
  machine?: boolean;
  /**
   * Latchkey extension: the resource servers (by audience) and scopes this client may ask for,
   * checked against RESOURCE_SERVERS_FILE at boot (oidc/resource-servers.ts).
   */
  resources?: Record<string, string[]>;
}

/** The account page's own client (self-service/account-routes.ts): Latchkey signing in to itself. */
export const ACCOUNT_CLIENT_ID = 'latchkey-account';

export class ClientsFileError extends Error {
  readonly problems: readonly string[];

  constructor(file: string, problems: readonly string[]) {
    super(`Invalid clients file ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ClientsFileError';
    this.problems = problems;
  }
}

/** RFC 8628's grant type: clients registered with it sign in through the device flow. */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

const AUTH_METHODS = new Set([
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'none',
]);
const CLIENT_ID = /^[A-Za-z0-9._~-]{1,128}$/;
const MIN_SECRET = 32;

function checkUri(
  problems: string[],
  where: string,
  value: unknown,
  applicationType: string,
): string | undefined {
  if (typeof value !== 'string') {
    problems.push(`${where} must be a string`);
    return undefined;
  }
  const url = URL.parse(value);
  if (!url) {
    problems.push(`${where} is not an absolute URL: ${value}`);
    return undefined;
  }
  if (url.hash || value.includes('#')) problems.push(`${where} must not have a fragment: ${value}`);
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && applicationType !== 'native') {
    problems.push(`${where} must use https (plain http only for loopback): ${value}`);
  }
  if (url.protocol === 'javascript:' || url.protocol === 'data:') {
    problems.push(`${where} uses a forbidden scheme: ${value}`);
  }
  return value;
}

/** Client metadata shown on our pages (RFC 7591 §2): a logo and links people may follow. */
const DISPLAY_URIS = ['logo_uri', 'policy_uri', 'tos_uri', 'client_uri'] as const;

/** Shown to people, so https; plain http only on loopback hosts, in development. */
function checkDisplayUri(
  problems: string[],
  where: string,
  value: unknown,
  production: boolean,
): void {
  const url = typeof value === 'string' ? URL.parse(value) : null;
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    problems.push(`${where} must be an absolute https URL: ${String(value)}`);
  } else if (url.protocol === 'http:' && (production || !isLoopbackHost(url.hostname))) {
    problems.push(
      production
        ? `${where} must use https when NODE_ENV is production: ${value}`
        : `${where} must use https (plain http only for loopback): ${value}`,
    );
  } else if (url.username || url.password) {
    problems.push(`${where} must not contain credentials: ${value}`);
  }
}

/**
 * Back-channel logout: where the app hears that a session ended. Server to server, so plain http
 * is allowed outside production, or with BACKCHANNEL_ALLOW_PRIVATE_NETWORK (apps on a private
 * network, the compose demo); never a fragment or credentials.
 */
function checkBackchannel(
  problems: string[],
  label: string,
  entry: Record<string, unknown>,
  httpAllowed: boolean,
): void {
  const uri = entry.backchannel_logout_uri;
  if (uri !== undefined) {
    const url = typeof uri === 'string' ? URL.parse(uri) : null;
    const scheme = url?.protocol === 'https:' || (url?.protocol === 'http:' && httpAllowed);
    if (!url || !scheme || url.hash || url.username || url.password) {
      problems.push(
        `${label}: backchannel_logout_uri must be an absolute https URL without fragment or credentials (http only outside production or with BACKCHANNEL_ALLOW_PRIVATE_NETWORK=true): ${String(uri)}`,
      );
    }
  }
  const required = entry.backchannel_logout_session_required;
  if (required !== undefined && typeof required !== 'boolean') {
    problems.push(`${label}: backchannel_logout_session_required must be true or false`);
  }
}

/** Checks what oidc-provider does not: our security policy for statically configured clients. */
export function parseClients(
  json: unknown,
  file = 'CLIENTS_FILE',
  options: { production?: boolean; privateNetwork?: boolean } = {},
): ClientEntry[] {
  const problems: string[] = [];
  if (!Array.isArray(json)) throw new ClientsFileError(file, ['the file must hold a JSON array']);
  const seen = new Set<string>();
  const clients: ClientEntry[] = [];
  json.forEach((raw: unknown, i) => {
    const where = `client #${i + 1}`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      problems.push(`${where} must be an object`);
      return;
    }
    const entry = { ...(raw as Record<string, unknown>) };
    const id = entry.client_id;
    if (typeof id !== 'string' || !CLIENT_ID.test(id)) {
      problems.push(`${where}: client_id must be 1-128 characters of letters, digits, . _ ~ -`);
      return;
    }
    const label = `client "${id}"`;
    if (id.startsWith('latchkey-')) {
      problems.push(`${label}: client ids starting with "latchkey-" are reserved`);
    }
    if (seen.has(id)) problems.push(`${label} is listed twice`);
    seen.add(id);

    const applicationType = entry.application_type === 'native' ? 'native' : 'web';
    const secret = entry.client_secret;
    const method =
      entry.token_endpoint_auth_method ?? (secret === undefined ? 'none' : 'client_secret_basic');
    if (typeof method !== 'string' || !AUTH_METHODS.has(method)) {
      problems.push(
        `${label}: token_endpoint_auth_method must be one of ${[...AUTH_METHODS].join(', ')}`,
      );
    }
    const machine = entry.machine === true;
    if (entry.machine !== undefined && typeof entry.machine !== 'boolean') {
      problems.push(`${label}: machine must be true or false`);
    }
    if (method === 'none') {
      if (secret !== undefined) problems.push(`${label}: a public client must not have a secret`);
    } else if (method === 'private_key_jwt') {
      // RFC 7523: the client proves itself with a signed assertion; a shared secret would be a second way in.
      if (secret !== undefined) {
        problems.push(`${label}: a private_key_jwt client must not have a client_secret`);
      }
      checkClientKeys(problems, label, entry);
    } else if (typeof secret !== 'string' || secret.length < MIN_SECRET) {
      problems.push(
        `${label}: client_secret must be a string of at least ${MIN_SECRET} characters`,
      );
    }
    if (entry.first_party !== undefined && typeof entry.first_party !== 'boolean') {
      problems.push(`${label}: first_party must be true or false`);
    }
    if (entry.require_mfa !== undefined && typeof entry.require_mfa !== 'boolean') {
      problems.push(`${label}: require_mfa must be true or false`);
    }
    const dpop = entry.dpop_bound_access_tokens;
    if (dpop !== undefined && typeof dpop !== 'boolean') {
      problems.push(`${label}: dpop_bound_access_tokens must be true or false`);
    }
    const resourcesProblem = checkResourcesField(entry.resources);
    if (resourcesProblem) problems.push(`${label}: ${resourcesProblem}`);
    if (machine) {
      checkMachine(problems, label, entry, method);
      clients.push({
        ...entry,
        client_id: id,
        token_endpoint_auth_method: method as string,
        grant_types: [CLIENT_CREDENTIALS_GRANT],
        response_types: [],
        redirect_uris: [],
        machine: true,
        first_party: false,
        require_mfa: false,
      } as ClientEntry);
      return;
    }
    const grants = entry.grant_types ?? ['authorization_code', 'refresh_token'];
    // A device client (a TV, a CLI) only polls the token endpoint: no redirects, no response types.
    const device = Array.isArray(grants) && grants.includes(DEVICE_CODE_GRANT);
    const redirects = entry.redirect_uris;
    if (device) {
      if (redirects !== undefined && (!Array.isArray(redirects) || redirects.length > 0)) {
        problems.push(`${label}: a device client must not have redirect_uris`);
      }
    } else if (!Array.isArray(redirects) || redirects.length === 0) {
      problems.push(`${label}: redirect_uris must be a non-empty array`);
    } else {
      redirects.forEach((u, j) => {
        checkUri(problems, `${label} redirect_uris[${j}]`, u, applicationType);
      });
    }
    const logouts = entry.post_logout_redirect_uris;
    if (logouts !== undefined) {
      if (!Array.isArray(logouts)) {
        problems.push(`${label}: post_logout_redirect_uris must be an array`);
      } else {
        logouts.forEach((u, j) => {
          checkUri(problems, `${label} post_logout_redirect_uris[${j}]`, u, applicationType);
        });
      }
    }
    const httpBackchannel = options.production !== true || options.privateNetwork === true;
    checkBackchannel(problems, label, entry, httpBackchannel);
    for (const field of DISPLAY_URIS) {
      if (entry[field] === undefined) continue;
      checkDisplayUri(problems, `${label} ${field}`, entry[field], options.production === true);
    }
    if (device) {
      if (grants.some((g) => g !== DEVICE_CODE_GRANT && g !== 'refresh_token')) {
        problems.push(
          `${label}: a device client's grant_types may only contain ${DEVICE_CODE_GRANT} and refresh_token`,
        );
      }
    } else if (
      !Array.isArray(grants) ||
      grants.some((g) => g !== 'authorization_code' && g !== 'refresh_token')
    ) {
      problems.push(
        `${label}: grant_types may only contain authorization_code, refresh_token and ${DEVICE_CODE_GRANT} (client_credentials is for machine clients: "machine": true)`,
      );
    }
    const responses = entry.response_types ?? (device ? [] : ['code']);
    if (device && (!Array.isArray(responses) || responses.length > 0)) {
      problems.push(`${label}: a device client's response_types must be empty`);
    } else if (!Array.isArray(responses) || responses.some((r) => r !== 'code')) {
      problems.push(`${label}: response_types may only contain "code"`);
    }
    clients.push({
      ...entry,
      client_id: id,
      token_endpoint_auth_method: method as string,
      grant_types: grants as string[],
      response_types: responses as string[],
      first_party: entry.first_party === true,
      require_mfa: entry.require_mfa === true,
    } as ClientEntry);
  });
  if (problems.length > 0) throw new ClientsFileError(file, problems);
  return clients;
}

export async function loadClients(
  file: string | undefined,
  options: { production?: boolean; privateNetwork?: boolean } = {},
): Promise<ClientEntry[]> {
  if (file === undefined) return [];
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ClientsFileError(file, [`cannot be read: ${(error as Error).message}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ClientsFileError(file, [`is not valid JSON: ${(error as Error).message}`]);
  }
  return parseClients(json, file, options);
}

/** Origins a browser may be sent to from our pages: every redirect and post-logout target. */
export function clientOrigins(clients: readonly ClientEntry[]): string[] {
  const origins = new Set<string>();
  for (const client of clients) {
    for (const uri of [
      ...(client.redirect_uris ?? []),
      ...(client.post_logout_redirect_uris ?? []),
    ]) {
      const url = URL.parse(uri);
      if (url && (url.protocol === 'https:' || url.protocol === 'http:')) origins.add(url.origin);
      else if (url) origins.add(`${url.protocol}`);
    }
  }
  return [...origins];
}

/** Origins of the clients' logos: the CSP img-src allows exactly these beside our own. */
export function clientLogoOrigins(clients: readonly ClientEntry[]): string[] {
  const origins = new Set<string>();
  for (const client of clients) {
    const url = typeof client.logo_uri === 'string' ? URL.parse(client.logo_uri) : null;
    if (url) origins.add(url.origin);
  }
  return [...origins];
}

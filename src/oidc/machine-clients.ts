// Machine clients (services calling APIs as themselves, RFC 6749 §4.4), private_key_jwt keys
// (RFC 7523) and the per-client resource allow-list: the checks on the clients file, no HTTP here.
import { isLoopbackHost } from '../net.ts';

export const CLIENT_CREDENTIALS_GRANT = 'client_credentials';

/** The only authentication methods a machine client may use: it has no browser and no person. */
export const MACHINE_AUTH_METHODS: ReadonlySet<string> = new Set([
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
]);

/** Audience URI -> the scopes a client may ask for there (the clients file's `resources`). */
export type ResourceScopes = Readonly<Record<string, readonly string[]>>;

interface MachineFields {
  machine?: boolean | undefined;
  resources?: ResourceScopes | undefined;
}

export function isMachine(client: unknown): boolean {
  return (client as MachineFields | undefined)?.machine === true;
}

export function soleAudience(client: unknown): string | undefined {
  const resources = (client as MachineFields | undefined)?.resources;
  const audiences = resources ? Object.keys(resources) : [];
  return audiences.length === 1 ? audiences[0] : undefined;
}

// RFC 6749 §3.3 scope-token: printable ASCII except space, double quote and backslash.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/;

/** `resources`: audience URIs (absolute, https or loopback http, no fragment) to scope lists. */
export function checkResources(problems: string[], label: string, value: unknown): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.push(
      `${label}: resources must be an object of audience URI -> scopes, e.g. {"https://api.example.com": ["invoices:read"]}`,
    );
    return;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) problems.push(`${label}: resources must list at least one audience`);
  for (const [audience, scopes] of entries) {
    const url = URL.parse(audience);
    if (
      !url ||
      (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) ||
      audience.includes('#') ||
      url.username ||
      url.password
    ) {
      problems.push(
        `${label}: resources key "${audience}" must be an absolute https URI without fragment or credentials (plain http only for loopback)`,
      );
    }
    if (
      !Array.isArray(scopes) ||
      scopes.length === 0 ||
      scopes.some((s) => typeof s !== 'string' || !SCOPE_TOKEN.test(s))
    ) {
      problems.push(
        `${label}: resources["${audience}"] must be a non-empty array of scope names (no spaces or quotes)`,
      );
    }
  }
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'priv'] as const;
const SIGNING_KTY = new Set(['RSA', 'EC', 'OKP']);

/**
 * private_key_jwt: the client's public keys, inline (`jwks`) or published (`jwks_uri`). A private
 * or symmetric key in the clients file is refused: it would let anyone who reads it sign as the client.
 */
export function checkClientKeys(
  problems: string[],
  label: string,
  entry: Record<string, unknown>,
): void {
  const { jwks, jwks_uri: uri } = entry;
  if (jwks === undefined && uri === undefined) {
    problems.push(
      `${label}: private_key_jwt needs the client's public keys in jwks (or a jwks_uri)`,
    );
    return;
  }
  if (jwks !== undefined && uri !== undefined) {
    problems.push(`${label}: give jwks or jwks_uri, not both`);
  }
  if (uri !== undefined) {
    const url = typeof uri === 'string' ? URL.parse(uri) : null;
    if (url?.protocol !== 'https:' || url.hash || url.username || url.password) {
      problems.push(`${label}: jwks_uri must be an absolute https URL: ${String(uri)}`);
    }
  }
  if (jwks === undefined) return;
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    problems.push(`${label}: jwks must be {"keys": [...]} with at least one public key`);
    return;
  }
  keys.forEach((key: unknown, j) => {
    const where = `${label} jwks.keys[${j}]`;
    if (key === null || typeof key !== 'object' || Array.isArray(key)) {
      problems.push(`${where} must be a JWK object`);
      return;
    }
    const jwk = key as Record<string, unknown>;
    if (typeof jwk.kty !== 'string' || !SIGNING_KTY.has(jwk.kty)) {
      problems.push(`${where}: kty must be RSA, EC or OKP (a public signing key)`);
    }
    const secret = PRIVATE_MEMBERS.filter((m) => jwk[m] !== undefined);
    if (secret.length > 0) {
      problems.push(
        `${where} holds private or symmetric key material (${secret.join(', ')}): list only the public key`,
      );
    }
    if (jwk.use !== undefined && jwk.use !== 'sig') {
      problems.push(`${where}: use must be "sig"`);
    }
  });
}

/**
 * A machine client: confidential, the client_credentials grant alone, no redirects or response
 * types, no person (so no first_party or require_mfa), and at least one audience it may call.
 */
export function checkMachine(
  problems: string[],
  label: string,
  entry: Record<string, unknown>,
  method: unknown,
): void {
  if (typeof method !== 'string' || !MACHINE_AUTH_METHODS.has(method)) {
    problems.push(
      `${label}: a machine client must be confidential (token_endpoint_auth_method ${[...MACHINE_AUTH_METHODS].join(', ')})`,
    );
  }
  const grants = entry.grant_types;
  if (
    grants !== undefined &&
    (!Array.isArray(grants) || grants.length !== 1 || grants[0] !== CLIENT_CREDENTIALS_GRANT)
  ) {
    problems.push(`${label}: a machine client's grant_types may only be ["client_credentials"]`);
  }
  const redirects = entry.redirect_uris;
  if (redirects !== undefined && (!Array.isArray(redirects) || redirects.length > 0)) {
    problems.push(`${label}: a machine client must not have redirect_uris`);
  }
  if (entry.post_logout_redirect_uris !== undefined) {
    problems.push(`${label}: a machine client must not have post_logout_redirect_uris`);
  }
  const responses = entry.response_types;
  if (responses !== undefined && (!Array.isArray(responses) || responses.length > 0)) {
    problems.push(`${label}: a machine client's response_types must be empty`);
  }
  if (entry.backchannel_logout_uri !== undefined) {
    problems.push(`${label}: a machine client has no sessions to log out of`);
  }
  for (const field of ['first_party', 'require_mfa'] as const) {
    if (entry[field] === true) {
      problems.push(`${label}: ${field} is about people signing in; a machine client has none`);
    }
  }
  if (entry.resources === undefined) {
    problems.push(
      `${label}: a machine client needs resources: the audiences and scopes it may ask for`,
    );
  } else {
    checkResources(problems, label, entry.resources);
  }
}

// The reference the bench measures Latchkey against: oidc-provider alone, with a minimal Redis
// adapter, accounts in memory, a bare sign-in form, and the same clients, secrets, accounts,
// bcrypt cost, signing algorithm, lifetimes and claims as Latchkey's bench server. Run by the bench
// as a child process so its CPU is measured apart.
//
//   BARE_REDIS_URL=redis://127.0.0.1:6379 BARE_REDIS_PREFIX=bench-bare: BARE_BCRYPT_COST=10 \
//   node bench/bare-engine.ts < settings.json
// The settings (JSON on stdin, so no secret or password is in the environment):
//   { "clients": [{ "id", "secret", "redirectUri" }], "machine": { "id", "secret", "resource",
//     "scope" }, "accounts": [{ "email", "password", "name" }] }
// It prints "listening http://127.0.0.1:PORT" once it accepts requests.
//
// What it leaves out is what the comparison is about: no hashed keys, indexes or Lua scripts in
// Redis, no Postgres, no sessions list, no second step, no throttles, no CSRF tokens, no security
// headers, no request logs. What it keeps is what any deployment of the library needs: PKCE,
// rotating refresh tokens, consumed codes and tokens, grant revocation, first-party clients that
// are never asked for consent (like Latchkey's), and the same claims in ID tokens and userinfo.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { text } from 'node:stream/consumers';
import bcrypt from 'bcrypt';
import { Redis } from 'ioredis';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, {
  type Adapter,
  type AdapterPayload,
  type Grant,
  type KoaContextWithOIDC,
} from 'oidc-provider';

interface Settings {
  clients: { id: string; secret: string; redirectUri: string }[];
  machine?: { id: string; secret: string; resource: string; scope: string };
  accounts: { email: string; password: string; name: string }[];
}

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const settings = JSON.parse(await text(process.stdin)) as Settings;
const redis = new Redis(env('BARE_REDIS_URL'));
const prefix = env('BARE_REDIS_PREFIX');
const bcryptCost = Number(process.env.BARE_BCRYPT_COST ?? 10);

/**
 * The least an adapter can be for these flows: one hash per record (payload and consumed time),
 * a list of each grant's records for revocation, and a session's uid. One round trip per call.
 */
class MinimalRedisAdapter implements Adapter {
  readonly #model: string;
  constructor(model: string) {
    this.#model = model;
  }
  #key(id: string) {
    return `${prefix}${this.#model}:${id}`;
  }
  async upsert(id: string, payload: AdapterPayload, expiresIn: number) {
    const key = this.#key(id);
    const ttl = Math.max(1, expiresIn);
    const multi = redis.multi().hset(key, 'payload', JSON.stringify(payload)).expire(key, ttl);
    if (payload.grantId) {
      const grant = `${prefix}grant:${payload.grantId}`;
      // The list lives as long as its longest-lived record.
      multi.rpush(grant, key).expire(grant, ttl, 'NX').expire(grant, ttl, 'GT');
    }
    if (this.#model === 'Session' && payload.uid) {
      multi.set(`${prefix}sessionUid:${payload.uid}`, id, 'EX', ttl);
    }
    await multi.exec();
  }
  async find(id: string) {
    if (this.#model === 'Client') return undefined;
    const [json, consumed] = await redis.hmget(this.#key(id), 'payload', 'consumed');
    if (!json) return undefined;
    const payload = JSON.parse(json) as AdapterPayload;
    return consumed ? { ...payload, consumed: Number(consumed) } : payload;
  }
  async findByUid(uid: string) {
    const id = await redis.get(`${prefix}sessionUid:${uid}`);
    return id ? this.find(id) : undefined;
  }
  async findByUserCode() {
    return undefined;
  }
  async consume(id: string) {
    await redis.hset(this.#key(id), 'consumed', Math.floor(Date.now() / 1000));
  }
  async destroy(id: string) {
    await redis.del(this.#key(id));
  }
  async revokeByGrantId(grantId: string) {
    const grant = `${prefix}grant:${grantId}`;
    const keys = await redis.lrange(grant, 0, -1);
    await redis.del(grant, ...keys);
  }
}

interface Person {
  id: string;
  email: string;
  name: string;
  hash: string;
  updatedAt: number;
}
const byEmail = new Map<string, Person>();
const byId = new Map<string, Person>();
for (const a of settings.accounts) {
  const person = {
    id: randomUUID(),
    email: a.email.toLowerCase(),
    name: a.name,
    hash: await bcrypt.hash(a.password, bcryptCost),
    updatedAt: Math.floor(Date.now() / 1000),
  };
  byEmail.set(person.email, person);
  byId.set(person.id, person);
}

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const port = Number(process.env.BARE_PORT ?? 0);
const server = createServer({ keepAliveTimeout: 5_000 });
await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
const machine = settings.machine;

/** Everything an authorization request asks for (the clients are all first-party). */
function grantRequested(ctx: KoaContextWithOIDC, grant: Grant): void {
  const scope = [...ctx.oidc.requestParamOIDCScopes].join(' ');
  if (scope) grant.addOIDCScope(scope);
  const claims = [...ctx.oidc.requestParamClaims];
  if (claims.length > 0) grant.addOIDCClaims(claims);
}

const provider = new Provider(issuer, {
  adapter: (model: string) => new MinimalRedisAdapter(model),
  clients: [
    ...settings.clients.map((c) => ({
      client_id: c.id,
      client_secret: c.secret,
      redirect_uris: [c.redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code' as const],
    })),
    ...(machine
      ? [
          {
            client_id: machine.id,
            client_secret: machine.secret,
            grant_types: ['client_credentials'],
            response_types: [],
            redirect_uris: [],
          },
        ]
      : []),
  ],
  jwks: { keys: [{ ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig' }] } as never,
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  claims: {
    openid: ['sub'],
    profile: ['name', 'picture', 'updated_at'],
    email: ['email', 'email_verified'],
  },
  scopes: ['openid', 'offline_access', 'profile', 'email'],
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  rotateRefreshToken: true,
  async findAccount(_ctx, sub) {
    const person = byId.get(sub);
    if (!person) return undefined;
    return {
      accountId: person.id,
      async claims(_use, scope) {
        const scopes = new Set(scope.split(' '));
        return {
          sub: person.id,
          ...(scopes.has('profile') ? { name: person.name, updated_at: person.updatedAt } : {}),
          ...(scopes.has('email') ? { email: person.email, email_verified: true } : {}),
        };
      },
    };
  },
  // First-party clients: what they ask for is granted without a consent page.
  async loadExistingGrant(ctx) {
    const accountId = ctx.oidc.session?.accountId;
    const clientId = ctx.oidc.client?.clientId;
    if (!accountId || !clientId) return undefined;
    const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session?.grantIdFor(clientId);
    const found = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
    const grant = found ?? new ctx.oidc.provider.Grant({ accountId, clientId });
    const before = JSON.stringify(grant.openid);
    grantRequested(ctx, grant);
    if (!found || JSON.stringify(grant.openid) !== before) await grant.save();
    return grant;
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    userinfo: { enabled: true },
    clientCredentials: { enabled: machine !== undefined },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (_ctx, client) =>
        machine && client.clientId === machine.id ? machine.resource : undefined,
      useGrantedResource: async () => false,
      getResourceServerInfo: async () => ({
        scope: machine?.scope ?? '',
        audience: machine?.resource ?? '',
        accessTokenTTL: 300,
        accessTokenFormat: 'opaque',
      }),
    },
  },
  // Latchkey's lifetimes for what these flows issue.
  ttl: {
    AccessToken: 15 * 60,
    AuthorizationCode: 60,
    IdToken: 60 * 60,
    Interaction: 60 * 60,
    Session: 14 * 24 * 60 * 60,
    RefreshToken: 30 * 24 * 60 * 60,
    Grant: 365 * 24 * 60 * 60,
    ClientCredentials: 300,
  },
});

const page = (res: ServerResponse, status: number, body: string) => {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><title>Sign in</title>${body}`);
};

/** The sign-in form, its answer, and the consent a prompt=consent request asks for. */
async function interaction(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === 'login') {
    if (req.method !== 'POST') {
      page(
        res,
        200,
        `<form method="post" action="/interaction/${details.uid}/login"><input name="email"><input name="password" type="password"><button>Sign in</button></form>`,
      );
      return;
    }
    const form = new URLSearchParams(await text(req));
    const person = byEmail.get((form.get('email') ?? '').toLowerCase());
    const ok = person ? await bcrypt.compare(form.get('password') ?? '', person.hash) : false;
    if (!person || !ok) {
      page(res, 401, '<p>Wrong email or password.</p>');
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: person.id } });
    return;
  }
  const { accountId } = details.session ?? {};
  const clientId = details.params.client_id as string;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: accountId as string, clientId });
  if (!grant) throw new Error('the grant is gone');
  const { missingOIDCScope, missingOIDCClaims } = details.prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
  };
  if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
  if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } });
}

const handle = provider.callback();
server.on('request', (req: IncomingMessage, res: ServerResponse) => {
  if (req.url?.startsWith('/interaction/')) {
    interaction(req, res).catch((error: unknown) => {
      console.error(error);
      if (!res.headersSent) page(res, 500, '<p>Something went wrong.</p>');
    });
    return;
  }
  void handle(req, res);
});
console.log(`listening ${issuer}`);

process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  redis.disconnect();
  process.exit(0);
});

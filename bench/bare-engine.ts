// The reference for the client-credentials flow: oidc-provider alone, with a minimal Redis adapter
// (one SET with expiry per token, no indexes) and the same machine client, secret and resource as
// Latchkey's bench server. Run by the bench as a child process so its CPU is measured apart.
//
//   BARE_CLIENT_ID=... BARE_CLIENT_SECRET=... BARE_RESOURCE=https://... BARE_SCOPE=... \
//   BARE_REDIS_URL=redis://127.0.0.1:6379 BARE_REDIS_PREFIX=bench-bare: node bench/bare-engine.ts
// It prints "listening http://127.0.0.1:PORT" once it accepts requests.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type Adapter, type AdapterPayload } from 'oidc-provider';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const redis = new Redis(env('BARE_REDIS_URL'));
const prefix = env('BARE_REDIS_PREFIX');

/** The least an adapter can be for this flow: a token is written once and maybe read back. */
class MinimalRedisAdapter implements Adapter {
  readonly #model: string;
  constructor(model: string) {
    this.#model = model;
  }
  #key(id: string) {
    return `${prefix}${this.#model}:${id}`;
  }
  async upsert(id: string, payload: AdapterPayload, expiresIn: number) {
    await redis.set(this.#key(id), JSON.stringify(payload), 'EX', Math.max(1, expiresIn));
  }
  async find(id: string) {
    if (this.#model === 'Client') return undefined;
    const json = await redis.get(this.#key(id));
    return json === null ? undefined : (JSON.parse(json) as AdapterPayload);
  }
  async findByUid() {
    return undefined;
  }
  async findByUserCode() {
    return undefined;
  }
  async consume(id: string) {
    await redis.hset(`${this.#key(id)}:consumed`, 'at', Date.now());
  }
  async destroy(id: string) {
    await redis.del(this.#key(id));
  }
  async revokeByGrantId() {}
}

const resource = env('BARE_RESOURCE');
const scope = env('BARE_SCOPE');
const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const port = Number(process.env.BARE_PORT ?? 0);
const server = (await import('node:http')).createServer();
await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

const provider = new Provider(issuer, {
  adapter: (model: string) => new MinimalRedisAdapter(model),
  clients: [
    {
      client_id: env('BARE_CLIENT_ID'),
      client_secret: env('BARE_CLIENT_SECRET'),
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    },
  ],
  jwks: { keys: [{ ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig' }] } as never,
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => resource,
      useGrantedResource: async () => false,
      getResourceServerInfo: async () => ({
        scope,
        audience: resource,
        accessTokenTTL: 300,
        accessTokenFormat: 'opaque',
      }),
    },
  },
  ttl: { ClientCredentials: 300 },
});
server.on('request', provider.callback());
console.log(`listening ${issuer}`);

process.on('SIGTERM', () => {
  server.close();
  redis.disconnect();
  process.exit(0);
});

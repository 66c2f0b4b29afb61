// Where Redis is: one server, a Redis Cluster (several seeds, or REDIS_CLUSTER=true), or a primary
// found through Sentinel. Read from REDIS_URL and REDIS_CLUSTER; problems are sentences for the
// boot's list.

export interface RedisNode {
  host: string;
  port: number;
}

export type RedisTarget =
  | { kind: 'standalone'; url: string }
  | {
      kind: 'cluster';
      seeds: RedisNode[];
      username: string | undefined;
      password: string | undefined;
      tls: boolean;
    }
  | {
      kind: 'sentinel';
      sentinels: RedisNode[];
      name: string;
      /** The primary's (and its replicas') credentials. */
      username: string | undefined;
      password: string | undefined;
      /** The sentinels' own password (?sentinelPassword=). */
      sentinelPassword: string | undefined;
      db: number;
      tls: boolean;
    };

const SENTINEL_SCHEMES = ['redis+sentinel:', 'rediss+sentinel:'];

function node(text: string, defaultPort: number): RedisNode | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(text);
  if (!match?.[1]) return undefined;
  const port = match[2] === undefined ? defaultPort : Number(match[2]);
  if (port < 1 || port > 65_535) return undefined;
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}

function decoded(text: string): string | undefined {
  return text === '' ? undefined : decodeURIComponent(text);
}

/**
 * Reads REDIS_URL (`url`) and REDIS_CLUSTER (`cluster`):
 * - `redis://host:6379` (or rediss://): one server, or with cluster=true a seed of a cluster;
 * - `redis://a:7000,redis://b:7001,...`: the seeds of a cluster (the first one's credentials and
 *   TLS apply to every node);
 * - `redis+sentinel://[user:password@]s1:26379,s2:26379/mymaster[/db][?sentinelPassword=...]`
 *   (rediss+sentinel: TLS to the primary): the primary that the sentinels name `mymaster`.
 */
export function readRedisTarget(
  url: string,
  cluster: boolean,
): { target: RedisTarget; problems: string[] } {
  const fallback: RedisTarget = { kind: 'standalone', url };
  const scheme = /^[a-z+]+:/i.exec(url)?.[0].toLowerCase() ?? '';
  if (SENTINEL_SCHEMES.includes(scheme)) {
    if (cluster) {
      return {
        target: fallback,
        problems: ['REDIS_CLUSTER cannot be true with a Sentinel REDIS_URL'],
      };
    }
    return readSentinel(url, scheme);
  }
  const parts = url.split(',').map((part) => part.trim());
  const urls: URL[] = [];
  for (const part of parts) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(part);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !['redis:', 'rediss:'].includes(parsed.protocol) || parsed.hostname === '') {
      return {
        target: fallback,
        problems: [
          parts.length > 1
            ? 'every seed of a cluster REDIS_URL must be a redis: or rediss: URL'
            : 'REDIS_URL must be a redis: or rediss: URL',
        ],
      };
    }
    urls.push(parsed);
  }
  const [first] = urls;
  if (!first) return { target: fallback, problems: ['REDIS_URL is empty'] };
  if (urls.length === 1 && !cluster) return { target: fallback, problems: [] };
  if (urls.some((u) => u.pathname !== '' && u.pathname !== '/' && u.pathname !== '/0')) {
    return {
      target: fallback,
      problems: ['REDIS_URL names a database number, which a Redis Cluster does not have'],
    };
  }
  return {
    target: {
      kind: 'cluster',
      seeds: urls.map((u) => ({
        host: u.hostname.replace(/^\[|\]$/g, ''),
        port: u.port === '' ? 6379 : Number(u.port),
      })),
      username: decoded(first.username),
      password: decoded(first.password),
      tls: first.protocol === 'rediss:',
    },
    problems: [],
  };
}

function readSentinel(url: string, scheme: string): { target: RedisTarget; problems: string[] } {
  const fallback: RedisTarget = { kind: 'standalone', url };
  const problem = {
    target: fallback,
    problems: [
      'a Sentinel REDIS_URL must look like redis+sentinel://[user:password@]host:26379,host:26379/primary-name[/db]',
    ],
  };
  const rest = url.slice(scheme.length).replace(/^\/\//, '');
  const [beforeQuery = '', query = ''] = rest.split('?', 2);
  const slash = beforeQuery.indexOf('/');
  if (slash < 0) return problem;
  let authority = beforeQuery.slice(0, slash);
  const path = beforeQuery.slice(slash + 1).split('/');
  let username: string | undefined;
  let password: string | undefined;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const credentials = authority.slice(0, at);
    authority = authority.slice(at + 1);
    const colon = credentials.indexOf(':');
    username = decoded(colon < 0 ? credentials : credentials.slice(0, colon));
    password = colon < 0 ? undefined : decoded(credentials.slice(colon + 1));
  }
  const sentinels = authority.split(',').map((part) => node(part.trim(), 26_379));
  const name = path[0] ?? '';
  const db = path[1] === undefined || path[1] === '' ? 0 : Number(path[1]);
  if (
    sentinels.length === 0 ||
    sentinels.some((s) => s === undefined) ||
    !/^[A-Za-z0-9._-]{1,64}$/.test(name) ||
    !Number.isInteger(db) ||
    db < 0 ||
    path.length > 2
  ) {
    return problem;
  }
  const params = new URLSearchParams(query);
  return {
    target: {
      kind: 'sentinel',
      sentinels: sentinels as RedisNode[],
      name,
      username,
      password,
      sentinelPassword: params.get('sentinelPassword') ?? undefined,
      db,
      tls: scheme === 'rediss+sentinel:',
    },
    problems: [],
  };
}

/** The target without credentials, for logs and errors. */
export function describeTarget(target: RedisTarget, describeUrl: (url: string) => string): string {
  const nodes = (list: RedisNode[]) => list.map((n) => `${n.host}:${n.port}`).join(',');
  switch (target.kind) {
    case 'standalone':
      return `Redis at ${describeUrl(target.url)}`;
    case 'cluster':
      return `Redis Cluster seeded by ${nodes(target.seeds)}`;
    case 'sentinel':
      return `Redis primary "${target.name}" via Sentinel ${nodes(target.sentinels)}`;
  }
}

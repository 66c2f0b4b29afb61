// What spans may say about a request and a Redis command: path words, parameter names and key
// shapes, never values or ids. Query strings carry authorization codes, states and tokens; paths
// carry interaction ids (also cookie values); Redis keys and arguments carry token ids, sessions
// and payloads.

/** The query string of `url` with every value replaced, e.g. `code=*&state=*`; '' when none. */
export function redactedQuery(url: string | undefined): string {
  const at = url?.indexOf('?') ?? -1;
  if (url === undefined || at < 0) return '';
  const names = [...new URLSearchParams(url.slice(at + 1)).keys()];
  return names.map((name) => `${encodeURIComponent(name).slice(0, 40)}=*`).join('&');
}

/** A fixed part of our paths (`interaction`, `login`, `latchkey.css`); ids are longer or mixed. */
const PATH_WORD = /^[A-Za-z.][A-Za-z._-]{0,19}$/;

/** The path of `url` with each segment that is not a plain word (an id) replaced by an asterisk. */
export function redactedPath(url: string | undefined): string {
  const path = (url ?? '/').split('?')[0] ?? '/';
  return path
    .split('/')
    .map((part) => (part === '' || PATH_WORD.test(part) ? part : '*'))
    .join('/');
}

/** A fixed part of our key names (`oidc`, `Session`, `throttle`); ids and hashes are longer or mixed. */
const KEY_WORD = /^[A-Za-z][A-Za-z_-]{0,19}$/;

/**
 * A key with every part that is not a plain word replaced: `latchkey:oidc:Session:*`. The braces of
 * a hash tag stay (`latchkey:oidc:meta:{latchkey:oidc:Session:*}`).
 */
export function keyPattern(key: unknown): string {
  const text = Buffer.isBuffer(key) ? key.toString('latin1') : String(key);
  return text
    .split(':')
    .map((part) => {
      const [, open = '', word = '', close = ''] = /^(\{?)(.*?)(\}?)$/.exec(part) ?? [];
      return `${open}${KEY_WORD.test(word) ? word : '*'}${close}`;
    })
    .join(':');
}

/** Commands whose arguments are all keys. */
const ALL_KEYS = new Set(['del', 'unlink', 'exists', 'mget', 'touch', 'watch']);
/** Commands with the keys counted in their second argument (scripts). */
const SCRIPTS = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']);
/** Commands whose first argument is a key (the rest are values, scores or options). */
const FIRST_KEY = new Set([
  'get',
  'getdel',
  'getex',
  'getbuffer',
  'set',
  'setex',
  'psetex',
  'setnx',
  'incr',
  'incrby',
  'decr',
  'decrby',
  'expire',
  'pexpire',
  'expireat',
  'pexpireat',
  'persist',
  'ttl',
  'pttl',
  'type',
  'hget',
  'hset',
  'hdel',
  'hgetall',
  'hmget',
  'hincrby',
  'sadd',
  'srem',
  'smembers',
  'sismember',
  'scard',
  'zadd',
  'zrem',
  'zrange',
  'zrangebyscore',
  'zremrangebyscore',
  'zcard',
  'zscore',
  'lpush',
  'rpush',
  'lrange',
  'ltrim',
  'llen',
]);

/**
 * The db.query.text of a Redis span: the command and the shape of its keys, e.g.
 * `evalsha latchkey:oidc:Session:*`. Any other command (auth, hello, script, ...) is its name
 * alone, so a password or a value can never appear.
 */
export function redisStatement(command: string, args: readonly unknown[]): string {
  const name = command.toLowerCase();
  let keys: readonly unknown[] = [];
  if (ALL_KEYS.has(name)) keys = args;
  else if (FIRST_KEY.has(name)) keys = args.slice(0, 1);
  else if (SCRIPTS.has(name)) {
    const count = Number(args[1]);
    keys = Number.isInteger(count) && count > 0 ? args.slice(2, 2 + count) : [];
  }
  return [name, ...keys.slice(0, 10).map(keyPattern)].join(' ');
}

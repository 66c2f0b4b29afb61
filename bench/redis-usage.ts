// Redis memory by kind of key, for the memory benches: MEMORY USAGE (SAMPLES 0: every element
// counted) of every key under a prefix, grouped by what `kindOf` makes of the rest of the key.
import type { Redis } from 'ioredis';

export interface KeyGroup {
  keys: number;
  bytes: number;
  /** Longest remaining TTL among the group's keys, in ms (-1: some key has none). */
  maxTtlMs: number;
}

/** The part of a key after the prefix up to the first ":", e.g. "RefreshToken". */
export const firstSegment = (rest: string): string =>
  rest.slice(0, rest.indexOf(':') === -1 ? undefined : rest.indexOf(':'));

export async function memoryByKind(
  redis: Redis,
  prefix: string,
  kindOf: (rest: string) => string = firstSegment,
): Promise<Map<string, KeyGroup>> {
  const groups = new Map<string, KeyGroup>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const kind = kindOf(key.slice(prefix.length));
      const bytes = Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) || 0;
      const ttl = await redis.pttl(key);
      const group = groups.get(kind) ?? { keys: 0, bytes: 0, maxTtlMs: 0 };
      group.keys += 1;
      group.bytes += bytes;
      group.maxTtlMs = group.maxTtlMs === -1 || ttl === -1 ? -1 : Math.max(group.maxTtlMs, ttl);
      groups.set(kind, group);
    }
  } while (cursor !== '0');
  return groups;
}

export function totalBytes(groups: Map<string, KeyGroup>): number {
  return [...groups.values()].reduce((sum, g) => sum + g.bytes, 0);
}

/** A table of the groups, largest first, with a total line. */
export function printGroups(title: string, groups: Map<string, KeyGroup>): void {
  console.log(`\n${title}`);
  console.log('  kind                      keys        bytes   bytes/key');
  for (const [kind, g] of [...groups].sort((a, b) => b[1].bytes - a[1].bytes)) {
    console.log(
      `  ${kind.padEnd(22)} ${String(g.keys).padStart(7)} ${String(g.bytes).padStart(12)} ${String(Math.round(g.bytes / g.keys)).padStart(11)}`,
    );
  }
  console.log(
    `  ${'total'.padEnd(22)} ${' '.repeat(7)} ${String(totalBytes(groups)).padStart(12)}`,
  );
}

/** Throttle limits no bench reaches: these benches sign many people up from one address. */
export const UNTHROTTLED = {
  perAccount: 1e6,
  perSource: 1e6,
  signUpsPerSource: 1e6,
  windowSeconds: 60,
  mailsPerAddress: 1e6,
  linkRequestsPerSource: 1e6,
} as const;

// Small facts about URLs and hosts, shared by config checks, the clients file and messages.

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** True for hosts that never leave the machine: plain http is acceptable there. */
export function isLoopbackHost(hostname: string): boolean {
  // URL hostnames hold IPv4 addresses as four decimal parts; a name like 127.example.com is not one.
  return (
    LOOPBACK_HOSTS.has(hostname) ||
    hostname.endsWith('.localhost') ||
    /^127(?:\.\d{1,3}){3}$/.test(hostname)
  );
}

/** Where a service is, for messages: host, port and database, never credentials. */
export function describeUrl(url: string): string {
  const parsed = URL.parse(url);
  return parsed
    ? `${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`
    : 'an unparsable URL';
}

/** A client address as people write it: an IPv4-mapped IPv6 address ("::ffff:1.2.3.4") as IPv4. */
export function plainAddress(ip: string): string {
  return /^::ffff:\d{1,3}(?:\.\d{1,3}){3}$/i.test(ip) ? ip.slice(7) : ip;
}

// A readable name for a device from its User-Agent header (ua-parser-js v1, MIT): what a person can
// recognise ("Chrome on Android", "curl"), never a claim that it is that device. One parser serves
// the device confirm page and the list of an account's devices.
import { UAParser } from 'ua-parser-js';

export interface DeviceLabel {
  /** The browser or program, e.g. "Chrome", "Firefox", "curl". */
  program?: string;
  /** The operating system or platform, e.g. "Android", "Windows 10", "TV". */
  os?: string;
}

// Programs that are no browser, which the parser does not name.
const PROGRAMS: readonly [RegExp, string][] = [
  [/^curl\//, 'curl'],
  [/^Wget\//, 'Wget'],
  [/^python-requests\/|^Python-urllib\/|^aiohttp\//, 'Python'],
  [/^node-fetch|^undici|^axios\/|^node\b/i, 'Node.js'],
  [/^Go-http-client\//, 'Go'],
  [/^okhttp\//, 'OkHttp'],
];

const TV =
  /\b(?:SMART-TV|SmartTV|Tizen|Web0S|webOS|BRAVIA|AFT[A-Z]|GoogleTV|Android TV|AppleTV|tvOS)\b/i;

/** What the User-Agent says, in names a person knows; an empty object when it says nothing known. */
export function deviceLabel(userAgent: unknown): DeviceLabel {
  if (typeof userAgent !== 'string' || userAgent === '') return {};
  const ua = userAgent.slice(0, 512);
  const parsed = new UAParser(ua).getResult();
  const program = parsed.browser.name ?? PROGRAMS.find(([p]) => p.test(ua))?.[1];
  let os: string | undefined;
  if (parsed.device.type === 'smarttv' || TV.test(ua)) os = 'TV';
  else if (parsed.device.type === 'console') os = parsed.device.model ?? parsed.device.vendor;
  else if (parsed.os.name) {
    os =
      parsed.os.name === 'Mac OS' ? 'macOS' : [parsed.os.name, parsed.os.version].join(' ').trim();
  } else if (parsed.device.model) os = parsed.device.model;
  return { ...(program ? { program } : {}), ...(os ? { os } : {}) };
}

/** One line for lists: "Firefox · Windows 10"; the agent's first word when nothing is known. */
export function deviceLabelText(userAgent: string | undefined): string {
  if (!userAgent) return '';
  const { program, os } = deviceLabel(userAgent);
  const parts = [program, os].filter(Boolean);
  if (parts.length === 0) return (userAgent.split(/[\s/;(]/)[0] ?? '').slice(0, 40);
  return parts.join(' · ');
}

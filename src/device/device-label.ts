// A readable name for the device that asked for a user code, from its User-Agent header: what a
// person can recognise ("Chrome on Android", "curl"), never a claim that it is that device.

export interface DeviceLabel {
  /** The browser or program, e.g. "Chrome", "Firefox", "curl". */
  program?: string;
  /** The operating system or platform, e.g. "Android", "Windows", "a smart TV". */
  os?: string;
}

// Order matters: Edge and Opera also say Chrome, Chrome also says Safari.
const PROGRAMS: readonly [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOpera\b/, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bChrome\/|\bCriOS\/|\bChromium\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
  [/^curl\//, 'curl'],
  [/^Wget\//, 'Wget'],
  [/^python-requests\/|^Python-urllib\/|^aiohttp\//, 'Python'],
  [/^node-fetch|^undici|^axios\/|^node\b/i, 'Node.js'],
  [/^Go-http-client\//, 'Go'],
  [/^okhttp\//, 'OkHttp'],
];

const SYSTEMS: readonly [RegExp, string][] = [
  [
    /\b(?:SMART-TV|SmartTV|Tizen|Web0S|webOS|BRAVIA|AFT[A-Z]|GoogleTV|Android TV|AppleTV|tvOS)\b/i,
    'TV',
  ],
  [/\bPlayStation\b/, 'PlayStation'],
  [/\bXbox\b/, 'Xbox'],
  [/\bAndroid\b/, 'Android'],
  [/\biPhone\b/, 'iPhone'],
  [/\biPad\b/, 'iPad'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];

const first = (table: readonly [RegExp, string][], ua: string) =>
  table.find(([pattern]) => pattern.test(ua))?.[1];

/** What the User-Agent says, in names a person knows; an empty object when it says nothing known. */
export function deviceLabel(userAgent: unknown): DeviceLabel {
  if (typeof userAgent !== 'string' || userAgent === '') return {};
  const ua = userAgent.slice(0, 512);
  const program = first(PROGRAMS, ua);
  const os = first(SYSTEMS, ua);
  return { ...(program ? { program } : {}), ...(os ? { os } : {}) };
}

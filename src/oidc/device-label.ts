// A short, human label for a user agent ("Firefox on Windows"), from ua-parser-js (v1, MIT).
import { UAParser } from 'ua-parser-js';

/** Browser (or app) and operating system; empty parts are left out; "" when nothing is known. */
export function deviceLabel(userAgent: string | undefined): string {
  if (!userAgent) return '';
  const parsed = new UAParser(userAgent.slice(0, 512)).getResult();
  const browser = parsed.browser.name ?? '';
  const os = [parsed.os.name, parsed.os.name === 'Mac OS' ? '' : parsed.os.version]
    .filter(Boolean)
    .join(' ');
  const device = parsed.device.model && !os ? parsed.device.model : '';
  const parts = [browser, os || device].filter(Boolean);
  // An app that is no browser (a TV app, curl) keeps the first word of its agent.
  if (parts.length === 0) return (userAgent.split(/[\s/;(]/)[0] ?? '').slice(0, 40);
  return parts.length === 2 ? `${parts[0]} · ${parts[1]}` : (parts[0] as string);
}

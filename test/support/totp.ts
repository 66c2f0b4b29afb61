// An authenticator app for tests: RFC 6238 codes computed from an enrolled secret, at any step.
import { generateSync } from 'otplib';
import { decodeEntities } from './browser.ts';

const PERIOD = 30;

/** The code of the step `offset` steps from now (-1: the previous step, 1: the next one). */
export function totpCode(secret: string, offset = 0): string {
  return generateSync({ secret, epoch: Math.floor(Date.now() / 1000) + offset * PERIOD });
}

/** Waits out the last seconds of a step, so a code computed now is judged in the same step. */
export async function awayFromStepEdge(margin = 3): Promise<void> {
  const into = (Date.now() / 1000) % PERIOD;
  if (into > PERIOD - margin) await new Promise((r) => setTimeout(r, (PERIOD - into + 0.2) * 1000));
}

/** The secret a setup page shows as text (grouped by four for reading). */
export function secretOnPage(html: string): string {
  const shown = /<code class="secret" id="totp-secret">([^<]+)<\/code>/.exec(html)?.[1];
  if (!shown) throw new Error(`no TOTP secret on the page:\n${html.slice(0, 1500)}`);
  return decodeEntities(shown).replace(/\s/g, '');
}

/** The recovery codes a page shows once. */
export function recoveryCodesOnPage(html: string): string[] {
  const list = /<ul class="recovery-codes">([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '';
  return [...list.matchAll(/<code>([^<]+)<\/code>/g)].map((m) => m[1] as string);
}

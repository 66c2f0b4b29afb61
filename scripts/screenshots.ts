// Renders the sign-in page in every shipped language and with an example operator brand, and the
// device sign-in confirm page and the list of devices at phone width, and saves PNGs under
// docs/screenshots/ (linked from README). Runs a test server against the local test
// Postgres and Redis (TEST_DATABASE_URL, TEST_REDIS_URL), the upstream fakes and Debian's Chromium.
//
//   npm run screenshots
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Journeys } from '../test/browser/page-states.ts';
import { launchChromium, startRelyingPartyServer } from '../test/support/chromium.ts';
import { pollToken, startDevice } from '../test/support/device.ts';
import { authorizationUrl, relyingParty } from '../test/support/oidc.ts';
import { startTestServer, TEST_CLIENTS, type TestServer } from '../test/support/server.ts';
import { startUpstreams } from '../test/support/upstreams.ts';

const ROOT = path.join(import.meta.dirname, '..');
const OUT = path.join(ROOT, 'docs/screenshots');
const LANGUAGES = ['en', 'es', 'de', 'ar'] as const;
const ACME = {
  BRAND_PRODUCT_NAME: 'Acme',
  BRAND_LOGO_FILE: path.join(ROOT, 'docs/brand-example/acme.svg'),
  BRAND_PRIMARY_COLOR: '#0b5cad',
  BRAND_ACCENT_COLOR: '#c2410c',
  BRAND_SUPPORT_EMAIL: 'help@acme.example',
  BRAND_TERMS_URL: 'https://acme.example/terms',
  BRAND_PRIVACY_URL: 'https://acme.example/privacy',
};

async function signInUrl(server: TestServer, locale: string): Promise<string> {
  const c = TEST_CLIENTS.firstParty;
  const rp = await relyingParty(server.issuer, c);
  const auth = await authorizationUrl(rp, c.redirect_uris[0], { ui_locales: locale });
  return auth.url.toString();
}

async function main(): Promise<void> {
  await mkdir(OUT, { recursive: true });
  const upstreams = await startUpstreams();
  const servers: TestServer[] = [];
  const browser = await launchChromium();
  const rp = await startRelyingPartyServer();
  try {
    const plain = await startTestServer({ env: { ...upstreams.env, LOG_LEVEL: 'warn' } });
    servers.push(plain);
    const branded = await startTestServer({
      env: { ...upstreams.env, ...ACME, LOG_LEVEL: 'warn' },
    });
    servers.push(branded);
    upstreams.register(plain.issuer);
    upstreams.register(branded.issuer);

    const shots: [string, TestServer, string][] = [
      ...LANGUAGES.map((lng): [string, TestServer, string] => [`sign-in-${lng}.png`, plain, lng]),
      ['sign-in-brand-acme.png', branded, 'en'],
    ];
    for (const [file, server, locale] of shots) {
      const context = await browser.newContext({ viewport: { width: 480, height: 900 } });
      const page = await context.newPage();
      const answer = await page.goto(await signInUrl(server, locale));
      if (!answer?.ok()) throw new Error(`${file}: the sign-in page answered ${answer?.status()}`);
      const lang = await page.getAttribute('html', 'lang');
      if (lang !== locale) throw new Error(`${file}: the page is in "${lang}", not "${locale}"`);
      await page.screenshot({ path: path.join(OUT, file), fullPage: true });
      await context.close();
      process.stdout.write(`docs/screenshots/${file}\n`);
    }
    // Signing a TV in from a phone, and the phone's list of devices afterwards.
    const apps = await startTestServer({
      env: { ...upstreams.env, LOG_LEVEL: 'warn' },
      clients: rp.clients,
    });
    servers.push(apps);
    const journeys = new Journeys(apps, upstreams, rp.origin);
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await phone.newPage();
    const tv = await startDevice(apps.issuer);
    await journeys.account(page);
    await page.goto(tv.verification_uri_complete);
    await journeys.submit(page, {});
    await page.waitForSelector('button[name="confirm"]');
    await page.screenshot({ path: path.join(OUT, 'device-confirm-phone.png'), fullPage: true });
    process.stdout.write('docs/screenshots/device-confirm-phone.png\n');
    await page.click('button[name="confirm"]');
    await page.waitForLoadState();
    const polled = await pollToken(apps.issuer, tv.device_code);
    if (polled.status !== 200) throw new Error(`the TV's poll answered ${polled.status}`);
    await page.goto(`${apps.issuer}/account#devices`);
    await page.screenshot({ path: path.join(OUT, 'devices-phone.png'), fullPage: true });
    process.stdout.write('docs/screenshots/devices-phone.png\n');
    await phone.close();
  } finally {
    rp.close();
    await browser.close();
    for (const server of servers) await server.stop();
    await upstreams.close();
  }
}

await main();

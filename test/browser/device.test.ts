// Device sign-in on a phone-sized page in Chromium: a TV shows a QR code of
// verification_uri_complete; the phone follows it, signs in, checks the code and allows.
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import {
  cspViolations,
  launchChromium,
  type RelyingPartyServer,
  startRelyingPartyServer,
} from '../support/chromium.ts';
import { pollToken, startDevice } from '../support/device.ts';
import { accountFor, startTestServer, type TestServer } from '../support/server.ts';

describe('device sign-in on a phone', function () {
  this.timeout(60_000);
  let rpServer: RelyingPartyServer;
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    rpServer = await startRelyingPartyServer();
    server = await startTestServer({ clients: rpServer.clients });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    rpServer?.close();
  });

  it('follows verification_uri_complete, signs in, compares the code and allows the TV', async () => {
    const device = await startDevice(server.issuer);
    const who = await accountFor(server, 'phone');
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    const page = await context.newPage();
    const violations = cspViolations(page);

    await page.goto(device.verification_uri_complete);
    await page.waitForSelector('form[action$="/login"]');
    await page.fill('#email', who.email);
    await page.fill('#password', who.password);
    await Promise.all([page.waitForURL('**/device?user_code=*'), page.click('button.primary')]);

    // Back at the code page with the code filled in, waiting for the person.
    expect(await page.inputValue('#user_code')).to.equal(device.user_code);
    await Promise.all([
      page.waitForSelector('button[name="confirm"]'),
      page.click('button.primary'),
    ]);
    expect(await page.textContent('code.user-code')).to.equal(device.user_code);
    expect(await page.textContent('h1')).to.equal('Sign in to Test TV on a device?');
    // Nothing wider than the phone: the code and the facts wrap.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > innerWidth);
    expect(overflow).to.equal(false);

    await Promise.all([page.waitForEvent('load'), page.click('button[name="confirm"]')]);
    expect(await page.textContent('h1')).to.equal('Your device is signed in');
    expect((await pollToken(server.issuer, device.device_code)).status).to.equal(200);
    expect(violations).to.deep.equal([]);
    await context.close();
  });
});

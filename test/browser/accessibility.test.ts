// WCAG 2.2 AA on every page and state in page-states.ts: axe-core in light and dark colour
// schemes at desktop and phone widths, plus what axe cannot judge (a11y-checks.ts): touch targets
// of 44x44 CSS px, focus rings and field edges with 3:1 contrast, error announcements, landmarks.
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import {
  launchChromium,
  type RelyingPartyServer,
  startRelyingPartyServer,
} from '../support/chromium.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';
import {
  axeViolations,
  describeViolations,
  faintFields,
  focusProblems,
  installHelpers,
  smallTargets,
  structureProblems,
} from './a11y-checks.ts';
import { Journeys, PAGE_STATES } from './page-states.ts';

const SCHEMES = ['light', 'dark'] as const;
const WIDTHS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

describe('accessibility of every page (WCAG 2.2 AA)', function () {
  this.timeout(120_000);
  let rp: RelyingPartyServer;
  let upstreams: Upstreams;
  let server: TestServer;
  let browser: Browser;
  let journeys: Journeys;

  before(async () => {
    rp = await startRelyingPartyServer();
    upstreams = await startUpstreams();
    server = await startTestServer({ env: upstreams.env, clients: rp.clients });
    upstreams.register(server.issuer);
    browser = await launchChromium();
    journeys = new Journeys(server, upstreams, rp.origin);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await upstreams?.close();
    rp?.close();
  });

  beforeEach(() => upstreams.reset());

  it('reports a violation axe-core finds, so a broken page fails', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await journeys.signIn(page);
      await page.evaluate(() => {
        document.documentElement.removeAttribute('lang');
        for (const label of document.querySelectorAll('label[for="email"]')) label.remove();
      });
      const ids = (await axeViolations(page)).map((v) => v.id);
      expect(ids).to.include.members(['html-has-lang', 'label']);
    } finally {
      await context.close();
    }
  });

  for (const state of PAGE_STATES) {
    it(`${state.page} (${state.state}): no violation in ${SCHEMES.length} schemes x ${WIDTHS.length} widths`, async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const cspErrors: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy|Refused to/i.test(m.text())) cspErrors.push(m.text());
      });
      try {
        await state.open(page, journeys);
        if (state.submit) await journeys.submit(page, state.submit, state.button);
        await installHelpers(page);
        const problems = (await structureProblems(page, state)).map((p) => `structure: ${p}`);
        for (const scheme of SCHEMES) {
          await page.emulateMedia({ colorScheme: scheme });
          for (const size of WIDTHS) {
            await page.setViewportSize({ width: size.width, height: size.height });
            const where = `[${scheme}, ${size.name} ${size.width}px]`;
            const found = [
              ...describeViolations(await axeViolations(page)),
              ...(await smallTargets(page)),
              ...(await faintFields(page)),
            ];
            const scroll = await page.evaluate('document.documentElement.scrollWidth');
            if (Number(scroll) > size.width) found.push(`scrolls sideways: ${scroll}px wide`);
            if (size.name === 'desktop') found.push(...(await focusProblems(page)));
            problems.push(...found.map((p) => `${where} ${p}`));
          }
        }
        problems.push(...cspErrors.map((e) => `CSP: ${e}`));
        if (problems.length > 0) {
          throw new Error(
            `${problems.length} accessibility problem(s) on ${page.url()}:\n  - ${problems.join('\n  - ')}`,
          );
        }
      } finally {
        await context.close();
      }
    });
  }
});

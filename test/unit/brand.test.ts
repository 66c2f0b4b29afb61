// The operator's brand: every setting checked at boot with every problem listed, the generated
// stylesheet, and sentences with links that stay escaped.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { contrastRatio, MAX_LOGO_BYTES } from '../../src/config/brand.ts';
import { loadConfig } from '../../src/config.ts';
import { brandStylesheet, linkedText } from '../../src/http/brand.ts';
import { initialsOf } from '../../src/http/pages.ts';
import { UPSTREAM_BUTTONS, UPSTREAMS } from '../../src/upstreams/registry.ts';
import { configProblems } from '../support/config.ts';

const problemsOf = configProblems;

const dir = mkdtempSync(path.join(tmpdir(), 'brand-'));
function file(name: string, body: string | Buffer): string {
  const where = path.join(dir, name);
  writeFileSync(where, body);
  return where;
}

const SVG =
  '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#123456"/></svg>';
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(64, 1),
]);

describe('brand settings', () => {
  it('default to Latchkey with no logo, colours, support address or legal links', () => {
    const { brand } = loadConfig({});
    expect(brand.product).to.equal('Latchkey');
    expect(brand.logo).to.equal(undefined);
    expect(brand.primaryColor).to.equal(undefined);
    expect(brand.supportEmail).to.equal(undefined);
    expect(brand.termsUrl).to.equal(undefined);
  });

  it('reads the product, colours, support address and legal links', () => {
    const { brand } = loadConfig({
      BRAND_PRODUCT_NAME: ' Acme ',
      BRAND_PRIMARY_COLOR: '#0B5CAD',
      BRAND_ACCENT_COLOR: '#c2410c',
      BRAND_SUPPORT_EMAIL: 'help@acme.example',
      BRAND_TERMS_URL: 'https://acme.example/terms',
      BRAND_PRIVACY_URL: 'https://acme.example/privacy',
    });
    expect(brand).to.include({
      product: 'Acme',
      primaryColor: '#0b5cad',
      accentColor: '#c2410c',
      supportEmail: 'help@acme.example',
      termsUrl: 'https://acme.example/terms',
      privacyUrl: 'https://acme.example/privacy',
    });
  });

  it('reads an SVG or PNG logo by its content and names its URL by its hash', () => {
    const svg = loadConfig({ BRAND_LOGO_FILE: file('logo.svg', SVG) }).brand.logo;
    expect(svg?.type).to.equal('image/svg+xml');
    expect(svg?.path).to.match(/^\/assets\/logo-[\w-]{16}\.svg$/);
    // The name of the file does not decide its type; its first bytes do.
    const png = loadConfig({ BRAND_LOGO_FILE: file('logo.svg.bin', PNG) }).brand.logo;
    expect(png?.type).to.equal('image/png');
    expect(png?.path).to.match(/^\/assets\/logo-[\w-]{16}\.png$/);
    expect(png?.body.equals(PNG)).to.equal(true);
  });

  it('lists every problem at once', () => {
    const problems = problemsOf({
      BRAND_PRIMARY_COLOR: 'blue',
      BRAND_ACCENT_COLOR: '#fff',
      BRAND_LOGO_FILE: path.join(dir, 'missing.svg'),
      BRAND_TERMS_URL: 'http://acme.example/terms',
      BRAND_PRIVACY_URL: 'privacy',
      BRAND_SUPPORT_EMAIL: 'not an address',
      UPSTREAM_ORDER: 'google,github',
    });
    expect(problems).to.have.length(7);
    expect(problems).to.include(
      'BRAND_PRIMARY_COLOR must be a colour written #rrggbb (got "blue")',
    );
    expect(problems).to.include('BRAND_ACCENT_COLOR must be a colour written #rrggbb (got "#fff")');
    expect(problems.find((p) => p.startsWith('BRAND_LOGO_FILE cannot be read'))).to.include(
      'ENOENT',
    );
    expect(problems).to.include(
      'BRAND_TERMS_URL must be an absolute https URL (got "http://acme.example/terms")',
    );
    expect(problems).to.include('BRAND_PRIVACY_URL must be an absolute https URL (got "privacy")');
    expect(problems).to.include(
      'BRAND_SUPPORT_EMAIL must be an email address (got "not an address")',
    );
    expect(problems).to.include(
      'UPSTREAM_ORDER names "github", which is not an upstream (known: google, facebook, x)',
    );
  });

  it('refuses a primary colour white text cannot be read on, and a faint focus colour', () => {
    expect(problemsOf({ BRAND_PRIMARY_COLOR: '#1f5fbf' })).to.deep.equal([]);
    const [primary] = problemsOf({ BRAND_PRIMARY_COLOR: '#ffcc00' });
    expect(primary).to.match(
      /^BRAND_PRIMARY_COLOR #ffcc00 gives .* contrast of 1\.\d\d:1, below the 4\.5:1/,
    );
    // #777777 is 4.48:1 on white: just below.
    expect(problemsOf({ BRAND_PRIMARY_COLOR: '#777777' })).to.have.length(1);
    expect(problemsOf({ BRAND_PRIMARY_COLOR: '#767676' })).to.deep.equal([]);
    expect(problemsOf({ BRAND_ACCENT_COLOR: '#eeeeee' })[0]).to.match(/below the 3:1/);
  });

  it('computes WCAG contrast ratios', () => {
    expect(contrastRatio('#000000', '#ffffff')).to.be.closeTo(21, 0.001);
    expect(contrastRatio('#ffffff', '#ffffff')).to.equal(1);
    expect(contrastRatio('#767676', '#ffffff')).to.be.closeTo(4.54, 0.01);
  });

  it('refuses a logo that is not a PNG or SVG, too large, or an SVG that could run script', () => {
    const of = (name: string, body: string | Buffer) =>
      problemsOf({ BRAND_LOGO_FILE: file(name, body) });
    expect(of('logo.gif', 'GIF89a....')[0]).to.match(/must be a PNG or SVG image/);
    expect(of('page.html', '<html><svg xmlns="http://www.w3.org/2000/svg"/></html>')[0]).to.match(
      /must be a PNG or SVG image/,
    );
    expect(of('big.png', Buffer.concat([PNG, Buffer.alloc(MAX_LOGO_BYTES)]))[0]).to.match(
      /a logo may be at most 102400 bytes/,
    );
    for (const active of [
      '<script>alert(1)</script>',
      '<rect onload="alert(1)"/>',
      '<foreignObject><div/></foreignObject>',
      '<a href="javascript:alert(1)"><rect/></a>',
    ]) {
      const svg = `<svg xmlns="http://www.w3.org/2000/svg">${active}</svg>`;
      expect(of('active.svg', svg)[0]).to.match(/SVG with scripts/);
    }
  });

  it('refuses a product name with markup or control characters', () => {
    expect(problemsOf({ BRAND_PRODUCT_NAME: '<b>Acme</b>' })[0]).to.match(/^BRAND_PRODUCT_NAME/);
    expect(problemsOf({ BRAND_PRODUCT_NAME: 'x'.repeat(61) })[0]).to.match(/^BRAND_PRODUCT_NAME/);
  });
});

describe('UPSTREAM_ORDER', () => {
  it('puts the listed upstreams first, then the rest in registry order', () => {
    expect(loadConfig({}).upstreamOrder).to.deep.equal(UPSTREAMS.map((u) => u.id));
    expect(loadConfig({ UPSTREAM_ORDER: 'x, google' }).upstreamOrder).to.deep.equal([
      'x',
      'google',
      'facebook',
    ]);
  });

  it('refuses an id listed twice', () => {
    expect(problemsOf({ UPSTREAM_ORDER: 'x,x' })).to.deep.equal(['UPSTREAM_ORDER lists "x" twice']);
  });
});

describe('the brand stylesheet', () => {
  it('holds no brand colours by default, only the upstream buttons', () => {
    const css = brandStylesheet(
      { primaryColor: undefined, accentColor: undefined },
      UPSTREAM_BUTTONS,
    );
    expect(css).to.not.include('--accent');
    expect(css).to.include('.upstreams button.upstream-facebook {\n  background: #0866ff;');
    expect(css).to.include('.upstreams button.upstream-google {\n  background: #ffffff;');
  });

  it('sets the primary and accent colours as custom properties', () => {
    const css = brandStylesheet({ primaryColor: '#0b5cad', accentColor: '#c2410c' }, new Map());
    expect(css).to.include('--accent: #0b5cad;').and.include('--accent-text: #ffffff;');
    expect(css).to.include('--focus: #c2410c;');
  });
});

describe('upstream buttons', () => {
  for (const upstream of UPSTREAMS) {
    it(`${upstream.name}: an inline SVG mark that needs no style attribute or remote load`, () => {
      const { svg } = upstream.button;
      expect(svg).to.match(
        /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]* aria-hidden="true"/,
      );
      expect(svg).to.not.match(/style=|href=|url\(|<script/i);
    });
  }
});

describe('linked sentences', () => {
  it('escapes the sentence and the link, and puts in the anchors', () => {
    const html = linkedText(
      'brand.agree_both',
      {},
      {
        terms: { href: 'https://acme.example/t?a=1&b="2"', text: 'Terms <b>' },
        privacy: { href: 'https://acme.example/p', text: 'Privacy' },
      },
    );
    expect(html).to.equal(
      'By creating an account you agree to the <a href="https://acme.example/t?a=1&amp;b=&quot;2&quot;" rel="noopener noreferrer">Terms &lt;b&gt;</a> and the <a href="https://acme.example/p" rel="noopener noreferrer">Privacy</a>.',
    );
    expect(linkedText('brand.client_tos_only', { client: '<i>Shop</i>' }, {})).to.equal(
      'Read &lt;i&gt;Shop&lt;/i&gt;&#39;s {{tos}}.',
    );
  });
});

describe('avatar initials', () => {
  it('takes the first and last word of the name, else the email', () => {
    expect(initialsOf({ name: 'Jane Q. Doe', email: null })).to.equal('JD');
    expect(initialsOf({ name: 'émile', email: null })).to.equal('É');
    expect(initialsOf({ name: null, email: 'zed@example.com' })).to.equal('Z');
    expect(initialsOf({ name: '  ', email: null })).to.equal('?');
  });
});

// The brand on our pages: what every page is told about it, the generated stylesheet that
// carries its colours and the upstream buttons' colours, and the logo file we serve.
import type { Brand } from '../config/brand.ts';
import { DEFAULT_PRODUCT, PRIMARY_TEXT } from '../config/brand.ts';
import type { Locale } from '../i18n/locales.ts';
import { type MessageKey, type Params, t } from '../i18n/t.ts';
import type { UpstreamButtonLook } from '../upstreams/upstream.ts';
import type { AssetFile } from './assets.ts';

/** What every page knows about the brand (`it.brand`). */
export interface BrandLocals {
  product: string;
  logoUrl?: string | undefined;
  supportEmail?: string | undefined;
  termsUrl?: string | undefined;
  privacyUrl?: string | undefined;
}

export const DEFAULT_BRAND: BrandLocals = { product: DEFAULT_PRODUCT };

export const BRAND_STYLESHEET = '/assets/brand.css';

export function brandLocals(brand: Brand): BrandLocals {
  return {
    product: brand.product,
    logoUrl: brand.logo?.path,
    supportEmail: brand.supportEmail,
    termsUrl: brand.termsUrl,
    privacyUrl: brand.privacyUrl,
  };
}

const colors = (selector: string, c: UpstreamButtonLook['light']) =>
  `${selector} {\n  background: ${c.background};\n  color: ${c.text};\n  border-color: ${c.border};\n}\n`;

/**
 * A stylesheet served from our origin, so the CSP keeps `style-src 'self'` with no inline styles:
 * the brand colours as custom properties, then each upstream button's colours.
 */
export function brandStylesheet(
  brand: Pick<Brand, 'primaryColor' | 'accentColor'>,
  buttons: ReadonlyMap<string, UpstreamButtonLook>,
): string {
  const out = ['/* Generated at boot from the brand settings and the upstream registry. */\n'];
  const light: string[] = [];
  if (brand.primaryColor) {
    light.push(`--accent: ${brand.primaryColor};`, `--accent-text: ${PRIMARY_TEXT};`);
  }
  if (brand.accentColor) light.push(`--focus: ${brand.accentColor};`);
  if (light.length > 0) {
    // The dark scheme keeps its own link colours; only filled buttons take the brand colour there.
    out.push(
      `@media (prefers-color-scheme: light) {\n  :root {\n    ${light.join('\n    ')}\n  }\n}\n`,
    );
  }
  if (brand.primaryColor) {
    out.push(
      `@media (prefers-color-scheme: dark) {\n${colors('  button.primary,\n  a.button.primary', {
        background: brand.primaryColor,
        text: PRIMARY_TEXT,
        border: brand.primaryColor,
      })}}\n`,
    );
  }
  const dark: string[] = [];
  for (const [id, look] of buttons) {
    out.push(colors(`.upstreams button.upstream-${id}`, look.light));
    dark.push(colors(`  .upstreams button.upstream-${id}`, look.dark));
  }
  if (dark.length > 0) out.push(`@media (prefers-color-scheme: dark) {\n${dark.join('')}}\n`);
  return out.join('');
}

/** The generated stylesheet and, when configured, the logo, for the assets middleware. */
export function brandAssets(
  brand: Brand,
  buttons: ReadonlyMap<string, UpstreamButtonLook>,
): AssetFile[] {
  const files: AssetFile[] = [
    {
      path: BRAND_STYLESHEET,
      type: 'text/css; charset=utf-8',
      body: Buffer.from(brandStylesheet(brand, buttons)),
    },
  ];
  if (brand.logo) {
    files.push({
      path: brand.logo.path,
      type: brand.logo.type,
      body: brand.logo.body,
      // The name carries the content hash, so a new logo is a new URL.
      immutable: true,
      // Opened directly, an SVG is a document: it may draw itself and nothing else.
      ...(brand.logo.type === 'image/svg+xml'
        ? { csp: "default-src 'none'; style-src 'unsafe-inline'; sandbox" }
        : {}),
    });
  }
  return files;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

export interface TextLink {
  href: string;
  text: string;
}

/**
 * A catalogue sentence as HTML with some `{{parameters}}` as links, e.g. "you agree to the
 * {{terms}}": the sentence and every value are escaped, so a translation cannot inject markup.
 */
export function linkedText(
  key: MessageKey,
  params: Params,
  links: Readonly<Record<string, TextLink | undefined>>,
  locale?: Locale,
): string {
  return escapeHtml(t(key, params, locale)).replace(/\{\{(\w+)\}\}/g, (whole, name: string) => {
    const link = Object.hasOwn(links, name) ? links[name] : undefined;
    if (!link) return whole;
    return `<a href="${escapeHtml(link.href)}" rel="noopener noreferrer">${escapeHtml(link.text)}</a>`;
  });
}

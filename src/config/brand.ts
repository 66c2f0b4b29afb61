// The operator's brand: product name, logo file, colours, support address and legal links.
// The logo is read here at boot so a missing or wrong file is listed with every other problem.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Reader } from './reader.ts';

export interface BrandLogo {
  readonly body: Buffer;
  readonly type: 'image/svg+xml' | 'image/png';
  /** Where we serve it: the content hash in the name lets browsers keep it forever. */
  readonly path: string;
}

export interface Brand {
  readonly product: string;
  /** Undefined: the built-in mark. */
  readonly logo: BrandLogo | undefined;
  /** #rrggbb of buttons and links; undefined keeps the stylesheet's own. */
  readonly primaryColor: string | undefined;
  /** #rrggbb of the focus ring; undefined keeps the stylesheet's own. */
  readonly accentColor: string | undefined;
  readonly supportEmail: string | undefined;
  readonly termsUrl: string | undefined;
  readonly privacyUrl: string | undefined;
}

export const DEFAULT_PRODUCT = 'Latchkey';
export const MAX_LOGO_BYTES = 100 * 1024;
/** Text on the primary colour is white; WCAG AA asks 4.5:1 for normal text. */
export const PRIMARY_TEXT = '#ffffff';
export const MIN_TEXT_CONTRAST = 4.5;
/** The focus ring is drawn on the white card; WCAG asks 3:1 for such indicators. */
export const MIN_FOCUS_CONTRAST = 3;
const CARD = '#ffffff';

const COLOR = /^#[0-9a-fA-F]{6}$/;
const EMAIL = /^[^\s@<>"]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,}$/;
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** WCAG 2 relative luminance of #rrggbb. */
function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

/** WCAG 2 contrast ratio of two #rrggbb colours, from 1 to 21. */
export function contrastRatio(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

function readColor(r: Reader, name: string, against: string, minimum: number, what: string) {
  const text = r.raw(name);
  if (text === undefined) return undefined;
  if (!COLOR.test(text)) {
    r.problems.push(`${name} must be a colour written #rrggbb (got "${text}")`);
    return undefined;
  }
  const ratio = contrastRatio(text, against);
  if (ratio < minimum) {
    r.problems.push(
      `${name} ${text} gives ${what} a contrast of ${ratio.toFixed(2)}:1, below the ${minimum}:1 WCAG AA asks; choose a darker colour`,
    );
  }
  return text.toLowerCase();
}

/** The root element of an SVG document, after the XML declaration, comments and doctype. */
function isSvg(text: string): boolean {
  const rest = text
    .replace(/^\uFEFF/, '')
    .replace(/^\s*<\?xml[^>]*\?>/, '')
    .replace(/^(\s*<!--[\s\S]*?-->|\s*<!DOCTYPE[^>]*>)*/i, '')
    .trimStart();
  return /^<svg[\s>]/.test(rest) && /xmlns=["']http:\/\/www\.w3\.org\/2000\/svg["']/.test(rest);
}

/** Served as an image with its own CSP it could not run anyway; refusing it says so early. */
const SVG_ACTIVE = /<script|<foreignObject|\son[a-z]+\s*=|javascript:|<!ENTITY/i;

function readLogo(r: Reader): BrandLogo | undefined {
  const file = r.raw('BRAND_LOGO_FILE');
  if (file === undefined) return undefined;
  let body: Buffer;
  try {
    body = readFileSync(file);
  } catch (error) {
    r.problems.push(`BRAND_LOGO_FILE cannot be read: ${(error as Error).message}`);
    return undefined;
  }
  if (body.length > MAX_LOGO_BYTES) {
    r.problems.push(
      `BRAND_LOGO_FILE is ${body.length} bytes; a logo may be at most ${MAX_LOGO_BYTES} bytes`,
    );
    return undefined;
  }
  let type: BrandLogo['type'];
  if (body.subarray(0, PNG_MAGIC.length).equals(PNG_MAGIC)) {
    type = 'image/png';
  } else if (isSvg(body.toString('utf8'))) {
    if (SVG_ACTIVE.test(body.toString('utf8'))) {
      r.problems.push(
        'BRAND_LOGO_FILE is an SVG with scripts, event handlers, foreignObject or entities; export a plain drawing',
      );
      return undefined;
    }
    type = 'image/svg+xml';
  } else {
    r.problems.push(`BRAND_LOGO_FILE must be a PNG or SVG image: ${file} is neither`);
    return undefined;
  }
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 16);
  const extension = type === 'image/png' ? 'png' : 'svg';
  return { body, type, path: `/assets/logo-${hash}.${extension}` };
}

function readHttpsUrl(r: Reader, name: string): string | undefined {
  const text = r.raw(name);
  if (text === undefined) return undefined;
  const url = URL.parse(text);
  if (url?.protocol !== 'https:' || url.username || url.password) {
    r.problems.push(`${name} must be an absolute https URL (got "${text}")`);
    return undefined;
  }
  return url.href;
}

export function readBrand(r: Reader): Brand {
  const product = r.raw('BRAND_PRODUCT_NAME') ?? DEFAULT_PRODUCT;
  if (product.length > 60 || /[\p{Cc}<>]/u.test(product)) {
    r.problems.push(
      'BRAND_PRODUCT_NAME must be at most 60 characters, without control characters, < or >',
    );
  }
  const supportEmail = r.raw('BRAND_SUPPORT_EMAIL');
  if (supportEmail !== undefined && !EMAIL.test(supportEmail)) {
    r.problems.push(`BRAND_SUPPORT_EMAIL must be an email address (got "${supportEmail}")`);
  }
  return Object.freeze({
    product,
    logo: readLogo(r),
    primaryColor: readColor(
      r,
      'BRAND_PRIMARY_COLOR',
      PRIMARY_TEXT,
      MIN_TEXT_CONTRAST,
      `the white text on it (and it as link text on white)`,
    ),
    accentColor: readColor(
      r,
      'BRAND_ACCENT_COLOR',
      CARD,
      MIN_FOCUS_CONTRAST,
      'the focus ring on the white page',
    ),
    supportEmail: supportEmail !== undefined && EMAIL.test(supportEmail) ? supportEmail : undefined,
    termsUrl: readHttpsUrl(r, 'BRAND_TERMS_URL'),
    privacyUrl: readHttpsUrl(r, 'BRAND_PRIVACY_URL'),
  });
}

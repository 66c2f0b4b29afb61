// EJS pages rendered inside one layout; `<%= %>` escapes everything people can type.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ejs from 'ejs';
import type { Context } from 'koa';
import { t } from '../i18n/t.ts';
import { type BrandLocals, DEFAULT_BRAND, linkedText } from './brand.ts';

export type Locals = Record<string, unknown>;

/** Every page in views/; each is compiled when a caching Views starts, so a broken one stops boot. */
export const VIEW_NAMES = [
  'layout',
  'login',
  'signup',
  'consent',
  'link',
  'account',
  'error',
  'logout',
  'logged-out',
] as const;
export type ViewName = (typeof VIEW_NAMES)[number];
export type Template = (locals: Locals) => string;

export interface PageLocals {
  title: string;
  nonce: string;
  requestId?: string;
}

export class Views {
  readonly #dir: string;
  readonly #cache: Map<string, Template> | undefined;
  readonly #brand: BrandLocals;

  constructor(dir: string, options: { cache: boolean; brand?: BrandLocals }) {
    this.#dir = dir;
    this.#cache = options.cache ? new Map() : undefined;
    this.#brand = options.brand ?? DEFAULT_BRAND;
    if (this.#cache) for (const name of VIEW_NAMES) this.#template(name);
  }

  #template(name: ViewName): Template {
    const cached = this.#cache?.get(name);
    if (cached) return cached;
    const filename = path.join(this.#dir, `${name}.ejs`);
    const template = ejs.compile(readFileSync(filename, 'utf8'), {
      filename,
      localsName: 'it',
      _with: false,
      strict: true,
      rmWhitespace: false,
    }) as Template;
    this.#cache?.set(name, template);
    return template;
  }

  /** Answers with page `name`, carrying this request's CSP nonce and request id. */
  respond(ctx: Context, name: ViewName, status: number, locals: Locals & { title: string }): void {
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = this.render(name, {
      nonce: String(ctx.state.nonce ?? ''),
      requestId: String(ctx.state.requestId ?? ''),
      ...locals,
    });
  }

  /** Renders `name` and wraps it in the layout; every page gets the brand and the catalogue. */
  render(name: ViewName, locals: PageLocals & Locals): string {
    const all = { brand: this.#brand, t, linked: linkedText, ...locals };
    const body = this.#template(name)(all);
    return this.#template('layout')({ ...all, body });
  }
}

export const VIEWS_DIR = path.resolve(import.meta.dirname, '../../views');

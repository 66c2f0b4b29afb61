// A browser for tests and the benchmark: a cookie jar, manual redirects, forms scraped from our HTML.
import { Agent } from 'node:http';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { CookieJar } from 'tough-cookie';

export interface ScrapedForm {
  action: string;
  method: string;
  fields: Record<string, string>;
}

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#34;': '"',
  '&#39;': "'",
  '&#x27;': "'",
};

export function decodeEntities(text: string): string {
  return text.replace(/&(?:amp|lt|gt|quot|#34|#39|#x27);/g, (m) => ENTITIES[m] ?? m);
}

function attributes(tag: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const m of tag.matchAll(
    /([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g,
  )) {
    const name = (m[1] as string).toLowerCase();
    attrs[name] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

/** Every form in the page with its hidden and pre-filled inputs. */
export function scrapeForms(html: string): ScrapedForm[] {
  const forms: ScrapedForm[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attrs = attributes(m[1] as string);
    const fields: Record<string, string> = {};
    for (const input of (m[2] as string).matchAll(/<input\b([^>]*)>/gi)) {
      const a = attributes(input[1] as string);
      if (!a.name) continue;
      if ((a.type === 'checkbox' || a.type === 'radio') && !('checked' in a)) continue;
      fields[a.name] = a.value ?? '';
    }
    forms.push({
      action: attrs.action ?? '',
      method: (attrs.method ?? 'get').toLowerCase(),
      fields,
    });
  }
  return forms;
}

export function formByAction(html: string, actionPart: string): ScrapedForm {
  const form = scrapeForms(html).find((f) => f.action.includes(actionPart));
  if (!form)
    throw new Error(`no form with action containing "${actionPart}" in:\n${html.slice(0, 2000)}`);
  return form;
}

/** Where a chain of redirects ended: a page on the origin, or a URL elsewhere (not fetched). */
export interface Followed {
  response: AxiosResponse<string>;
  external?: URL;
}

export interface BrowserOptions {
  /** Another loopback address (e.g. 127.0.0.9) to send every request from. */
  localAddress?: string;
  /** The HTTP client to send through (the benchmark's keep-alive, counted one); default its own. */
  http?: AxiosInstance;
  /** The User-Agent every request sends (the list of devices labels a session by it). */
  userAgent?: string;
}

/** A person's browser: its own cookie jar, manual redirects, forms posted like a same-origin page. */
export class Browser {
  readonly jar = new CookieJar();
  readonly http: AxiosInstance;
  readonly origin: string;

  constructor(origin: string, options: BrowserOptions = {}) {
    this.origin = origin;
    this.http =
      options.http ??
      axios.create({
        ...(options.localAddress
          ? { httpAgent: new Agent({ localAddress: options.localAddress, keepAlive: true }) }
          : {}),
        timeout: 15_000,
      });
    this.#userAgent = options.userAgent;
  }

  readonly #userAgent: string | undefined;

  async request(
    method: string,
    url: URL | string,
    options: { data?: string | Buffer; headers?: Record<string, string> } = {},
  ): Promise<AxiosResponse<string>> {
    const absolute = new URL(url, this.origin).toString();
    // The sync jar methods work on the in-memory store and skip a promise per cookie.
    const cookie = this.jar.getCookieStringSync(absolute);
    const response = await this.http.request<string>({
      method,
      url: absolute,
      data: options.data,
      headers: {
        ...(this.#userAgent ? { 'user-agent': this.#userAgent } : {}),
        ...(cookie ? { cookie } : {}),
        ...options.headers,
      },
      maxRedirects: 0,
      validateStatus: () => true,
      responseType: 'text',
      transformResponse: (data: unknown) => data,
    });
    const setCookie = response.headers['set-cookie'] ?? [];
    for (const header of setCookie) this.jar.setCookieSync(header, absolute, { ignoreError: true });
    return response;
  }

  get(url: URL | string, headers: Record<string, string> = {}) {
    return this.request('GET', url, { headers: { accept: 'text/html', ...headers } });
  }

  /** Submits a form the way a browser on our origin would (Origin and Sec-Fetch-Site set). */
  post(url: URL | string, fields: Record<string, string>, headers: Record<string, string> = {}) {
    return this.request('POST', url, {
      data: new URLSearchParams(fields).toString(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'text/html',
        origin: this.origin,
        'sec-fetch-site': 'same-origin',
        ...headers,
      },
    });
  }

  /** Posts `form` `count` times at once, each copy with the fields `values(i)` adds. */
  submitAtOnce(
    form: ScrapedForm,
    count: number,
    values: (i: number) => Record<string, string> = () => ({}),
  ): Promise<AxiosResponse<string>[]> {
    return Promise.all(
      Array.from({ length: count }, (_, i) =>
        this.post(form.action, { ...form.fields, ...values(i) }),
      ),
    );
  }

  async submit(html: string, actionPart: string, values: Record<string, string> = {}) {
    const form = formByAction(html, actionPart);
    return this.post(form.action, { ...form.fields, ...values });
  }

  /**
   * Follows redirects until one leaves our origin (returned as a URL, not fetched) or a page
   * is reached.
   */
  async follow(response: AxiosResponse<string>, max = 10): Promise<Followed> {
    let current = response;
    for (let i = 0; i < max; i++) {
      if (current.status < 300 || current.status >= 400) return { response: current };
      const location = current.headers.location as string | undefined;
      if (!location) return { response: current };
      const next = new URL(location, current.config.url);
      if (next.origin !== this.origin) return { response: current, external: next };
      current = await this.get(next);
    }
    throw new Error(`more than ${max} redirects from ${response.config.url}`);
  }
}

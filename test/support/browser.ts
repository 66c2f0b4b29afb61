// A minimal browser for tests: a cookie jar, manual redirects, and form scraping from our HTML.
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

export class Browser {
  readonly jar = new CookieJar();
  readonly http: AxiosInstance;
  readonly origin: string;

  /** `localAddress` (another loopback address, e.g. 127.0.0.9) makes requests come from there. */
  constructor(origin: string, options: { localAddress?: string } = {}) {
    this.origin = origin;
    this.http = axios.create({
      ...(options.localAddress
        ? { httpAgent: new Agent({ localAddress: options.localAddress, keepAlive: true }) }
        : {}),
      maxRedirects: 0,
      validateStatus: () => true,
      responseType: 'text',
      transformResponse: (data: unknown) => data,
      timeout: 15_000,
    });
  }

  async request(
    method: string,
    url: string,
    options: { data?: string | Buffer; headers?: Record<string, string> } = {},
  ): Promise<AxiosResponse<string>> {
    const absolute = new URL(url, this.origin).toString();
    const cookie = await this.jar.getCookieString(absolute);
    const response = await this.http.request<string>({
      method,
      url: absolute,
      data: options.data,
      headers: { ...(cookie ? { cookie } : {}), ...options.headers },
    });
    const setCookie = response.headers['set-cookie'] ?? [];
    for (const header of setCookie)
      await this.jar.setCookie(header, absolute, { ignoreError: true });
    return response;
  }

  get(url: string, headers: Record<string, string> = {}) {
    return this.request('GET', url, { headers: { accept: 'text/html', ...headers } });
  }

  /** Submits a form the way a browser on our origin would (Origin and Sec-Fetch-Site set). */
  post(url: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
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

  async submit(html: string, actionPart: string, values: Record<string, string> = {}) {
    const form = formByAction(html, actionPart);
    return this.post(form.action, { ...form.fields, ...values });
  }

  /**
   * Follows redirects until one leaves our origin (returned as a URL, not fetched) or a page
   * is reached.
   */
  async follow(
    response: AxiosResponse<string>,
    max = 10,
  ): Promise<{ response: AxiosResponse<string>; external?: URL }> {
    let current = response;
    for (let i = 0; i < max; i++) {
      if (current.status < 300 || current.status >= 400) return { response: current };
      const location = current.headers.location as string | undefined;
      if (!location) return { response: current };
      const next = new URL(location, current.config.url);
      if (next.origin !== this.origin) return { response: current, external: next };
      current = await this.get(next.toString());
    }
    throw new Error('too many redirects');
  }
}

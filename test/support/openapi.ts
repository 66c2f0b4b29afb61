// Checks real HTTP exchanges against docs/openapi.yaml: each answer's status, headers, media type
// and body against the documented response (Ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses it), each
// accepted request's body against the documented request body, and which operations were exercised.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { AxiosInstance, AxiosResponse } from 'axios';
import { readApiDescription } from '../../src/http/api-description.ts';

type Json = Record<string, unknown>;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
// The document's own address for Ajv: its $refs (#/components/...) resolve inside it.
const BASE = 'urn:latchkey:openapi';

export interface Operation {
  method: string;
  path: string;
  pattern: RegExp;
  definition: Json;
}

/** One request and its answer, as the checker sees them. */
export interface Exchange {
  method: string;
  url: URL;
  requestHeaders: Record<string, string>;
  requestBody?: string | undefined;
  status: number;
  headers: Record<string, string>;
  body: string;
}

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const pointer = (path: string[]) =>
  `#/${path.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;

/** application/json, application/jwk-set+json...: bodies parsed as JSON before they are checked. */
export const isJsonMedia = (media: string) =>
  media === 'application/json' || media.endsWith('+json');

const mediaOf = (contentType: string | undefined) =>
  (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

/** A path template as a regular expression: `{id}` is one path segment (or part of one). */
function templatePattern(template: string): RegExp {
  const escaped = template
    .split(/(\{[^}]+\})/)
    .map((part) => (/^\{[^}]+\}$/.test(part) ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${escaped}$`);
}

/** Form fields as an object: a repeated field becomes an array. */
function formObject(body: string): Json {
  const object: Json = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const before = object[key];
    if (before === undefined) object[key] = value;
    else object[key] = Array.isArray(before) ? [...before, value] : [before, value];
  }
  return object;
}

export class ApiContract {
  readonly document: Json;
  readonly operations: Operation[];
  readonly #ajv: Ajv2020;
  readonly #validators = new Map<string, ValidateFunction>();
  /** "GET /token" -> the statuses seen. */
  readonly #seen = new Map<string, Set<number>>();

  constructor(document: Json = readApiDescription()) {
    this.document = document;
    this.#ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats.default(this.#ajv);
    // Annotations OpenAPI 3.1 adds to JSON Schema, and the document's own members: the whole
    // document is added as one schema so that $refs resolve in it, and only the schemas the
    // checks point at are compiled.
    this.#ajv.addVocabulary([
      ...['example', 'xml', 'externalDocs', 'discriminator'],
      ...['openapi', 'info', 'jsonSchemaDialect', 'servers', 'paths', 'webhooks'],
      ...['components', 'security', 'tags'],
    ]);
    this.#ajv.addSchema({ ...document, $id: BASE });

    const paths = isObject(document.paths) ? document.paths : {};
    this.operations = Object.entries(paths).flatMap(([path, item]) =>
      METHODS.filter((m) => isObject((item as Json)[m])).map((method) => ({
        method: method.toUpperCase(),
        path,
        pattern: templatePattern(path),
        definition: (item as Json)[method] as Json,
      })),
    );
    // Every schema compiles now, so a broken $ref or keyword fails before any request.
    for (const op of this.operations) {
      const at = ['paths', op.path, op.method.toLowerCase()];
      for (const [status, response] of Object.entries(this.#responses(op))) {
        const resolved = this.resolve(response);
        for (const media of Object.keys((resolved.content as Json | undefined) ?? {})) {
          this.#schemaAt(this.#contentSchemaPath(at, ['responses', status], response, media));
        }
        for (const [name, header] of Object.entries((resolved.headers as Json | undefined) ?? {})) {
          if (this.resolve(header).schema) this.#headerSchema(at, status, response, name, header);
        }
      }
      const body = op.definition.requestBody;
      if (body) {
        for (const media of Object.keys((this.resolve(body).content as Json | undefined) ?? {})) {
          this.#schemaAt(this.#contentSchemaPath(at, ['requestBody'], body, media));
        }
      }
    }
  }

  /** Follows a local `$ref` (and the refs it leads to). */
  resolve(value: unknown): Json {
    let current = value;
    for (let i = 0; i < 10 && isObject(current) && typeof current.$ref === 'string'; i++) {
      const ref = current.$ref;
      if (!ref.startsWith('#/')) throw new Error(`only local $refs are followed: ${ref}`);
      current = ref
        .slice(2)
        .split('/')
        .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
        .reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), this.document);
      if (current === undefined) throw new Error(`unresolved $ref ${ref}`);
    }
    if (!isObject(current)) throw new Error(`not an object: ${JSON.stringify(value)}`);
    return current;
  }

  #responses(op: Operation): Json {
    return (op.definition.responses as Json | undefined) ?? {};
  }

  /** The JSON pointer of a media type's schema, through a $ref of the response or body. */
  #contentSchemaPath(at: string[], within: string[], node: unknown, media: string): string[] {
    const ref = isObject(node) && typeof node.$ref === 'string' ? node.$ref : undefined;
    const base = ref ? ref.slice(2).split('/').map(decodePointerPart) : [...at, ...within];
    return [...base, 'content', media, 'schema'];
  }

  #headerSchema(at: string[], status: string, response: unknown, name: string, header: unknown) {
    const responseRef = isObject(response) && typeof response.$ref === 'string';
    const headerRef = isObject(header) && typeof header.$ref === 'string';
    const base = headerRef
      ? ((header as Json).$ref as string)
      : pointer([
          ...(responseRef
            ? ((response as Json).$ref as string).slice(2).split('/').map(decodePointerPart)
            : [...at, 'responses', status]),
          'headers',
          name,
        ]);
    return this.#schemaAt([...base.slice(2).split('/').map(decodePointerPart), 'schema']);
  }

  #schemaAt(path: string[]): ValidateFunction {
    const ref = `${BASE}${pointer(path)}`;
    let validate = this.#validators.get(ref);
    if (!validate) {
      validate = this.#ajv.compile({ $ref: ref });
      this.#validators.set(ref, validate);
    }
    return validate;
  }

  /** The documented operation a request went to; undefined for paths the document leaves out. */
  find(method: string, pathname: string): Operation | 'method not documented' | undefined {
    const candidates = this.operations.filter((op) => op.pattern.test(pathname));
    if (candidates.length === 0) return undefined;
    // A literal path wins over a template (none overlap today, but keep the rule obvious).
    const exact = candidates.filter((op) => op.path === pathname);
    const pool = exact.length > 0 ? exact : candidates;
    return pool.find((op) => op.method === method.toUpperCase()) ?? 'method not documented';
  }

  /** Checks one exchange; throws an Error naming every mismatch. Paths outside the document pass. */
  check(exchange: Exchange): void {
    const op = this.find(exchange.method, exchange.url.pathname);
    const where = `${exchange.method} ${exchange.url.pathname} -> ${exchange.status}`;
    if (op === undefined) return;
    if (op === 'method not documented') throw new Error(`${where}: method not in the document`);
    const problems: string[] = [];
    const key = `${op.method} ${op.path}`;
    const statuses = this.#seen.get(key) ?? new Set<number>();
    statuses.add(exchange.status);
    this.#seen.set(key, statuses);

    const responses = this.#responses(op);
    const statusKey = [String(exchange.status), `${String(exchange.status)[0]}XX`, 'default'].find(
      (k) => k in responses,
    );
    if (!statusKey) {
      throw new Error(
        `${where}: status not documented (documented: ${Object.keys(responses).join(', ')})\n${exchange.body.slice(0, 500)}`,
      );
    }
    const at = ['paths', op.path, op.method.toLowerCase()];
    const raw = responses[statusKey];
    const response = this.resolve(raw);
    const headers = Object.fromEntries(
      Object.entries(exchange.headers).map(([k, v]) => [k.toLowerCase(), String(v)]),
    );

    for (const [name, header] of Object.entries((response.headers as Json | undefined) ?? {})) {
      const definition = this.resolve(header);
      const value = headers[name.toLowerCase()];
      if (value === undefined) {
        if (definition.required === true) problems.push(`header ${name} missing`);
        continue;
      }
      if (!definition.schema) continue;
      const validate = this.#headerSchema(at, statusKey, raw, name, header);
      if (!validate(value)) {
        problems.push(
          `header ${name}: ${JSON.stringify(value)} ${this.#ajv.errorsText(validate.errors)}`,
        );
      }
    }

    const content = response.content as Json | undefined;
    if (!content) {
      // A redirect's "Redirecting to ..." note is no documented body.
      if (exchange.body !== '' && (exchange.status < 300 || exchange.status >= 400)) {
        problems.push(`a body where none is documented: ${exchange.body.slice(0, 200)}`);
      }
    } else {
      const media = mediaOf(headers['content-type']);
      if (!(media in content)) {
        problems.push(
          `content type ${media || '(none)'} not documented (${Object.keys(content).join(', ')})`,
        );
      } else {
        const validate = this.#schemaAt(
          this.#contentSchemaPath(at, ['responses', statusKey], raw, media),
        );
        this.#checkBody('response body', media, exchange.body, validate, problems);
      }
    }

    // A request the server accepted is one the document describes.
    if (exchange.status >= 200 && exchange.status < 300)
      this.#checkRequest(op, at, exchange, problems);

    if (problems.length > 0) {
      throw new Error(`${where} does not match docs/openapi.yaml:\n  - ${problems.join('\n  - ')}`);
    }
  }

  #checkBody(
    what: string,
    media: string,
    body: string,
    validate: ValidateFunction,
    problems: string[],
  ): void {
    let value: unknown = body;
    if (isJsonMedia(media)) {
      try {
        value = JSON.parse(body);
      } catch {
        problems.push(`${what} is not JSON: ${body.slice(0, 200)}`);
        return;
      }
    } else if (media === 'application/x-www-form-urlencoded') {
      value = formObject(body);
    } else if (body === '') {
      problems.push(`${what} is empty`);
      return;
    }
    if (!validate(value)) {
      problems.push(
        `${what}: ${this.#ajv.errorsText(validate.errors)} in ${JSON.stringify(value).slice(0, 400)}`,
      );
    }
  }

  #checkRequest(op: Operation, at: string[], exchange: Exchange, problems: string[]): void {
    for (const parameter of (op.definition.parameters as unknown[] | undefined) ?? []) {
      const p = this.resolve(parameter);
      if (p.required !== true) continue;
      const name = String(p.name);
      const present =
        p.in === 'query'
          ? exchange.url.searchParams.has(name)
          : p.in === 'header'
            ? Object.keys(exchange.requestHeaders).some(
                (h) => h.toLowerCase() === name.toLowerCase(),
              )
            : true;
      if (!present) problems.push(`accepted without the required ${p.in} parameter ${name}`);
    }
    const rawBody = op.definition.requestBody;
    if (!rawBody) return;
    const body = this.resolve(rawBody);
    const sent = exchange.requestBody ?? '';
    if (sent === '') {
      if (body.required === true) problems.push('accepted without the required request body');
      return;
    }
    const contentType = Object.entries(exchange.requestHeaders).find(
      ([h]) => h.toLowerCase() === 'content-type',
    )?.[1];
    const media = mediaOf(contentType);
    const content = (body.content as Json | undefined) ?? {};
    if (!(media in content)) {
      problems.push(`request content type ${media || '(none)'} not documented`);
      return;
    }
    const validate = this.#schemaAt(this.#contentSchemaPath(at, ['requestBody'], rawBody, media));
    this.#checkBody('request body', media, sent, validate, problems);
  }

  /** Operations no checked exchange reached, as "METHOD /path". */
  unexercised(): string[] {
    return this.operations.map((op) => `${op.method} ${op.path}`).filter((k) => !this.#seen.has(k));
  }

  /** What was exercised: "METHOD /path" with the statuses seen. */
  exercised(): Record<string, number[]> {
    return Object.fromEntries(
      [...this.#seen].map(([k, statuses]) => [k, [...statuses].sort((a, b) => a - b)]),
    );
  }

  /**
   * Makes `http` check every answer from `origin` on a documented path; a mismatch rejects the
   * request's promise. Send bodies as strings and keep responses as text (`responseType: 'text'`,
   * no transformResponse) so the checker sees the bytes as sent.
   */
  attach(http: AxiosInstance, origin: string): AxiosInstance {
    http.interceptors.response.use((response: AxiosResponse) => {
      const { config } = response;
      const url = new URL(config.url ?? '', config.baseURL ?? origin);
      if (url.origin !== origin) return response;
      if (typeof response.data !== 'string') {
        throw new Error(`${url.pathname}: responses must stay text for the contract check`);
      }
      const requestHeaders: Record<string, string> = {};
      for (const [name, value] of Object.entries(config.headers ?? {})) {
        if (typeof value === 'string') requestHeaders[name] = value;
      }
      this.check({
        method: (config.method ?? 'get').toUpperCase(),
        url,
        requestHeaders,
        requestBody: typeof config.data === 'string' ? config.data : undefined,
        status: response.status,
        headers: response.headers as Record<string, string>,
        body: response.data,
      });
      return response;
    });
    return http;
  }
}

function decodePointerPart(part: string): string {
  return part.replaceAll('~1', '/').replaceAll('~0', '~');
}

// Strict form and JSON bodies: one content type, a size limit, string fields only, and no
// control characters (Postgres refuses NUL; bcrypt would stop reading a password at one).
import type { Context } from 'koa';
import { badRequest, HttpProblem } from './http-errors.ts';

export const FORM_LIMIT_BYTES = 16 * 1024;
export const JSON_LIMIT_BYTES = 16 * 1024;

// C0 controls except tab, line feed and carriage return (which textareas send), and DEL.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export function hasControlCharacters(text: string): boolean {
  return CONTROL.test(text);
}

function tooLarge(limit: number) {
  // The rest of the body is never read, so the connection cannot carry another request.
  return new HttpProblem(
    413,
    'payload_too_large',
    'request.too_large',
    { limit },
    {
      Connection: 'close',
    },
  );
}

/**
 * Reads the body up to `limit` bytes. Past the limit it stops keeping data and lets the rest
 * drain unread: the socket stays whole, so the 413 reaches the client (then Connection: close).
 */
async function readBody(ctx: Context, limit: number): Promise<string> {
  const encoding = ctx.get('content-encoding').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') {
    throw new HttpProblem(415, 'unsupported_media_type', 'request.compressed');
  }
  const declared = Number(ctx.get('content-length') || '0');
  if (declared > limit) throw tooLarge(limit);
  const req = ctx.req;
  if (req.readableEnded) throw badRequest('request.already_read');
  const buffer = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      cleanup();
      // Flowing with no listener: further chunks are dropped as they arrive.
      req.resume();
      reject(tooLarge(limit));
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = () => {
      cleanup();
      reject(badRequest('request.cut_off'));
    };
    const onClose = () => {
      if (req.complete) return;
      cleanup();
      reject(badRequest('request.cut_off'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    throw badRequest('request.not_utf8');
  }
}

export class Form {
  readonly #params: URLSearchParams;

  constructor(params: URLSearchParams) {
    this.#params = params;
  }

  /** The single value of a field, '' when absent; a repeated field is refused. */
  text(name: string): string {
    const values = this.#params.getAll(name);
    if (values.length > 1) throw badRequest('request.field_repeated', { field: name });
    return values[0] ?? '';
  }

  has(name: string): boolean {
    return this.#params.has(name);
  }
}

export async function readForm(ctx: Context, limit = FORM_LIMIT_BYTES): Promise<Form> {
  if (!ctx.is('application/x-www-form-urlencoded')) {
    throw new HttpProblem(415, 'unsupported_media_type', 'request.form_only');
  }
  const params = new URLSearchParams(await readBody(ctx, limit));
  for (const [name, value] of params) {
    if (hasControlCharacters(name) || hasControlCharacters(value)) {
      throw badRequest('request.field_control', { field: name.slice(0, 40) });
    }
  }
  return new Form(params);
}

/** The first string (key or value) anywhere in `value` that holds a control character. */
function controlCharacterIn(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return hasControlCharacters(value) ? path : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const where = Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    if (hasControlCharacters(key)) return where;
    const found = controlCharacterIn(inner, where);
    if (found !== undefined) return found;
  }
  return undefined;
}

export async function readJsonObject(
  ctx: Context,
  limit = JSON_LIMIT_BYTES,
): Promise<Record<string, unknown>> {
  if (!ctx.is('application/json')) {
    throw new HttpProblem(415, 'unsupported_media_type', 'request.json_only');
  }
  const text = await readBody(ctx, limit);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest('request.json_invalid');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest('request.json_not_object');
  }
  const where = controlCharacterIn(value, '');
  if (where !== undefined) {
    throw badRequest('request.json_control', { field: where.slice(0, 40) });
  }
  return value as Record<string, unknown>;
}

// Strict form and JSON bodies: one content type, a size limit, and string fields only.
import type { Context } from 'koa';
import { badRequest, HttpProblem } from './http-errors.ts';

export const FORM_LIMIT_BYTES = 16 * 1024;
export const JSON_LIMIT_BYTES = 16 * 1024;

function tooLarge(limit: number) {
  return new HttpProblem(
    413,
    'payload_too_large',
    `The request body is larger than ${limit} bytes.`,
  );
}

async function readBody(ctx: Context, limit: number): Promise<string> {
  const declared = Number(ctx.get('content-length') || '0');
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  const buffer = Buffer.concat(chunks);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    throw badRequest('The request body is not valid UTF-8.');
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
    if (values.length > 1) throw badRequest(`The field "${name}" was sent more than once.`);
    return values[0] ?? '';
  }

  has(name: string): boolean {
    return this.#params.has(name);
  }
}

export async function readForm(ctx: Context, limit = FORM_LIMIT_BYTES): Promise<Form> {
  if (!ctx.is('application/x-www-form-urlencoded')) {
    throw new HttpProblem(
      415,
      'unsupported_media_type',
      'This form only accepts application/x-www-form-urlencoded bodies.',
    );
  }
  return new Form(new URLSearchParams(await readBody(ctx, limit)));
}

export async function readJsonObject(
  ctx: Context,
  limit = JSON_LIMIT_BYTES,
): Promise<Record<string, unknown>> {
  if (!ctx.is('application/json')) {
    throw new HttpProblem(415, 'unsupported_media_type', 'Send the body as application/json.');
  }
  const text = await readBody(ctx, limit);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest('The request body is not valid JSON.');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest('The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

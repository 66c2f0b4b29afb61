// Rules for the fields people type: email, display name and picture URL.
import { type FieldProblem, problem } from './errors.ts';

// The WHATWG "valid email address" syntax (what browsers check), with a dot required in the domain.
const EMAIL =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$/;

export const MAX_EMAIL_LENGTH = 254;
export const MAX_NAME_LENGTH = 100;
export const MAX_PICTURE_URL_LENGTH = 2048;

export function normalizeEmail(email: string): string {
  return email.trim();
}

export function emailProblem(email: string): FieldProblem | undefined {
  if (email === '') return problem('email.missing');
  if (email.length > MAX_EMAIL_LENGTH) {
    return problem('email.too_long', { max: MAX_EMAIL_LENGTH });
  }
  const at = email.lastIndexOf('@');
  if (!EMAIL.test(email) || at > 64) {
    return problem('email.invalid');
  }
  return undefined;
}

// Control characters and the bidi controls that make names render misleadingly.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

export function normalizeName(name: string): string {
  return name.normalize('NFC').trim().replace(/\s+/g, ' ');
}

export function nameProblem(name: string): FieldProblem | undefined {
  if (name === '') return problem('name.missing');
  if ([...name].length > MAX_NAME_LENGTH) {
    return problem('name.too_long', { max: MAX_NAME_LENGTH });
  }
  if (UNSAFE_TEXT.test(name)) return problem('name.control');
  return undefined;
}

/** The URL as WHATWG serialises it (what browsers fetch), so only one spelling is ever stored. */
export function normalizePicture(picture: string): string {
  return URL.parse(picture.trim())?.href ?? picture.trim();
}

export function pictureProblem(picture: string): FieldProblem | undefined {
  if (picture.length > MAX_PICTURE_URL_LENGTH) {
    return problem('picture.too_long', { max: MAX_PICTURE_URL_LENGTH });
  }
  const url = URL.parse(picture);
  if (url?.protocol !== 'https:' || url.username || url.password) {
    return problem('picture.not_https');
  }
  return undefined;
}

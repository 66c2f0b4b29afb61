// Rules for the fields people type: email, display name and picture URL.

// The WHATWG "valid email address" syntax (what browsers check), with a dot required in the domain.
const EMAIL =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$/;

export const MAX_EMAIL_LENGTH = 254;
export const MAX_NAME_LENGTH = 100;
export const MAX_PICTURE_URL_LENGTH = 2048;

export function normalizeEmail(email: string): string {
  return email.trim();
}

export function emailProblem(email: string): string | undefined {
  if (email === '') return 'Enter your email address.';
  if (email.length > MAX_EMAIL_LENGTH) {
    return `Email addresses can be at most ${MAX_EMAIL_LENGTH} characters.`;
  }
  const at = email.lastIndexOf('@');
  if (!EMAIL.test(email) || at > 64) {
    return 'Enter a valid email address, like name@example.com.';
  }
  return undefined;
}

// Control characters and the bidi controls that make names render misleadingly.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

export function normalizeName(name: string): string {
  return name.normalize('NFC').trim().replace(/\s+/g, ' ');
}

export function nameProblem(name: string): string | undefined {
  if (name === '') return 'Enter your name.';
  if ([...name].length > MAX_NAME_LENGTH) {
    return `Names can be at most ${MAX_NAME_LENGTH} characters.`;
  }
  if (UNSAFE_TEXT.test(name)) return 'Names cannot contain control characters.';
  return undefined;
}

/** The URL as WHATWG serialises it (what browsers fetch), so only one spelling is ever stored. */
export function normalizePicture(picture: string): string {
  return URL.parse(picture.trim())?.href ?? picture.trim();
}

export function pictureProblem(picture: string): string | undefined {
  if (picture.length > MAX_PICTURE_URL_LENGTH) {
    return `Picture URLs can be at most ${MAX_PICTURE_URL_LENGTH} characters.`;
  }
  const url = URL.parse(picture);
  if (url?.protocol !== 'https:' || url.username || url.password) {
    return 'The picture must be an https URL.';
  }
  return undefined;
}

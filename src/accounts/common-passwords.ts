// Passwords too easy to guess (NIST SP 800-63B §3.1.1.2): ones found in breach corpora and ones
// made from the person's own email or name. Composition rules are deliberately absent.
import { dictionary } from '@zxcvbn-ts/language-common';

/** Shortest password the list is consulted for: shorter ones are refused by length already. */
const LIST_MIN_CHARS = 8;

/** Lowercase, NFKC: the form the list and the password are compared in. */
const fold = (value: string) => value.normalize('NFKC').toLowerCase();

// Passwords of 8+ characters from a maintained list (@zxcvbn-ts/language-common: the most
// frequent passwords of public breach corpora), plus a few it lacks that attackers try early.
const EXTRA = [
  'password!',
  'p@ssw0rd',
  'p@ssword',
  'welcome123',
  'administrator',
  'monkey123',
  'dragon123',
  'master123',
  'shadow123',
  'changeme',
];

let list: ReadonlySet<string> | undefined;

/** Built on first use (about 18,000 entries, 30 ms), then kept. */
export function commonPasswords(): ReadonlySet<string> {
  list ??= new Set(
    [...dictionary['passwords-common'], ...EXTRA]
      .map(fold)
      .filter((p) => [...p].length >= LIST_MIN_CHARS),
  );
  return list;
}

/** The password with trailing digits and punctuation removed: `sunshine2024!` -> `sunshine`. */
const withoutSuffix = (value: string) => value.replace(/[\p{N}\p{P}\p{S}\s]+$/u, '');

/** True when the password, or the password without a trailing number or symbol, is on the list. */
export function isCommonPassword(password: string): boolean {
  const folded = fold(password);
  const list = commonPasswords();
  if (list.has(folded)) return true;
  const stem = withoutSuffix(folded);
  return stem !== folded && [...stem].length >= LIST_MIN_CHARS && list.has(stem);
}

/** Letters and digits only, lowercase, without accents: `María.García-90` -> `mariagarcia90`. */
const core = (value: string) =>
  fold(value)
    .normalize('NFKD')
    .replace(/[^\p{L}\p{N}]/gu, '');

/** Shortest piece of an email or name that counts as personal (shorter ones are too common). */
const MIN_PIECE_CHARS = 3;

/**
 * The pieces of the email and name a guesser tries first: the whole local part, each of its
 * words, the domain's first label, the whole name and each of its words.
 */
function personalPieces(email: string | undefined, name: string | undefined): Set<string> {
  const pieces = new Set<string>();
  const add = (value: string) => {
    const piece = core(value);
    if ([...piece].length >= MIN_PIECE_CHARS) pieces.add(piece);
  };
  if (email) {
    const at = email.lastIndexOf('@');
    const local = at > 0 ? email.slice(0, at) : email;
    add(local);
    for (const word of local.split(/[^\p{L}\p{N}]+/u)) add(word);
    const domain = at > 0 ? email.slice(at + 1).split('.')[0] : undefined;
    if (domain) add(domain);
  }
  if (name) {
    add(name);
    for (const word of name.split(/\s+/u)) add(word);
  }
  return pieces;
}

/**
 * True when the password is made of the person's own email or name: a piece of them, repeated
 * or not, with at most a number or symbols after it (`garcia2024!`, `mariamaria`, `Maria Garcia 1`).
 */
export function isPersonalPassword(
  password: string,
  person: { email?: string | undefined; name?: string | undefined },
): boolean {
  const stem = core(withoutSuffix(fold(password))) || core(password);
  if (stem === '') return false;
  for (const piece of personalPieces(person.email, person.name)) {
    if (stem.length % piece.length === 0 && piece.repeat(stem.length / piece.length) === stem) {
      return true;
    }
  }
  return false;
}

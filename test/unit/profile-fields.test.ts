// The fields people type: email syntax and limits, display names, picture URLs.
import { expect } from 'chai';
import type { FieldProblem } from '../../src/accounts/errors.ts';
import * as rules from '../../src/accounts/profile-fields.ts';
import {
  MAX_EMAIL_LENGTH,
  MAX_NAME_LENGTH,
  MAX_PICTURE_URL_LENGTH,
  normalizeEmail,
  normalizeName,
  normalizePicture,
} from '../../src/accounts/profile-fields.ts';
import { problemWords } from '../../src/http/map-error.ts';

/** A field rule whose problem is put into the English words the edge shows for it. */
const inWords =
  (rule: (value: string) => FieldProblem | undefined) =>
  (value: string): string | undefined => {
    const problem = rule(value);
    return problem && problemWords(problem);
  };
const emailProblem = inWords(rules.emailProblem);
const nameProblem = inWords(rules.nameProblem);
const pictureProblem = inWords(rules.pictureProblem);

const INVALID_EMAIL = 'Enter a valid email address, like name@example.com.';
const NAME_CONTROL = 'Names cannot contain control characters.';
const PICTURE_HTTPS = 'The picture must be an https URL.';

/** An address of `length` characters (197 or more) with a 64-character local part. */
function emailOfLength(length: number): string {
  const address = `${'l'.repeat(64)}@${'d'.repeat(63)}.${'d'.repeat(63)}.${'d'.repeat(length - 197)}.com`;
  expect(address).to.have.length(length);
  return address;
}

/** `check` gives `expected` for every one of `values` (each named in a failure). */
function expectEach(
  check: (value: string) => string | undefined,
  values: string[],
  expected: string | undefined,
): void {
  for (const value of values) expect(check(value), value).to.equal(expected);
}

describe('email addresses', () => {
  it('are limited to 254 characters', () => {
    expect(MAX_EMAIL_LENGTH).to.equal(254);
    expect(rules.emailProblem(emailOfLength(255))).to.deep.equal({
      code: 'email.too_long',
      params: { max: 254 },
    });
  });

  it('lose surrounding spaces but keep their case', () => {
    expect(normalizeEmail('  Ada.Lovelace@Example.com \t')).to.equal('Ada.Lovelace@Example.com');
  });

  it('are accepted in everyday forms', () => {
    expectEach(
      emailProblem,
      [
        'ada@example.com',
        'ada.lovelace+latchkey@mail.example.co.uk',
        "o'brien@example.ie",
        'x@a-b.example',
      ],
      undefined,
    );
  });

  it('must be entered', () => {
    expect(emailProblem('')).to.equal('Enter your email address.');
  });

  it('are refused when the syntax is wrong', () => {
    for (const email of [
      'ada',
      'ada@',
      '@example.com',
      'ada@example',
      'ada@@example.com',
      'ada lovelace@example.com',
      'ada@exa mple.com',
      'ada@-example.com',
      'ada@example-.com',
      'ada@example..com',
      'ada@example.com.',
      'ada@ex_ample.com',
      'adä@example.com',
      'Ada <ada@example.com>',
      'ada@example.com\n',
    ]) {
      expect(emailProblem(email), JSON.stringify(email)).to.equal(INVALID_EMAIL);
    }
  });

  it('may have a local part of 64 characters but not 65', () => {
    expect(emailProblem(`${'l'.repeat(64)}@example.com`)).to.equal(undefined);
    expect(emailProblem(`${'l'.repeat(65)}@example.com`)).to.equal(INVALID_EMAIL);
  });

  it('may have domain labels of 63 characters but not 64', () => {
    expect(emailProblem(`ada@${'d'.repeat(63)}.com`)).to.equal(undefined);
    expect(emailProblem(`ada@${'d'.repeat(64)}.com`)).to.equal(INVALID_EMAIL);
  });

  it('may be 254 characters long but not 255', () => {
    expect(emailProblem(emailOfLength(254))).to.equal(undefined);
    expect(emailProblem(emailOfLength(255))).to.equal(
      'Email addresses can be at most 254 characters.',
    );
  });
});

describe('display names', () => {
  it('are limited to 100 characters', () => {
    expect(MAX_NAME_LENGTH).to.equal(100);
  });

  describe('normalisation', () => {
    it('trims and collapses runs of spaces, tabs and line breaks into one space', () => {
      expect(normalizeName('  Ada \t\n  Lovelace  ')).to.equal('Ada Lovelace');
    });

    it('composes accents, so the same name is stored the same way however it was typed', () => {
      const decomposed = 'Rene\u0301e';
      expect(decomposed).to.have.length(6);
      expect(normalizeName(decomposed)).to.equal('Ren\u00e9e');
    });

    it('treats Unicode spaces like ordinary ones', () => {
      expect(normalizeName('Ada\u00a0\u2003Lovelace\u3000')).to.equal('Ada Lovelace');
    });
  });

  describe('checks', () => {
    it('accept names in any script', () => {
      expectEach(
        nameProblem,
        ['Ada Lovelace', 'Zoë O’Neill', '李小龍', 'Ибрагим', 'محمد', '🦊 Fox'],
        undefined,
      );
    });

    it('require a name', () => {
      expect(nameProblem('')).to.equal('Enter your name.');
    });

    it('count characters, not UTF-16 units, against the limit', () => {
      expect(nameProblem('🦊'.repeat(100))).to.equal(undefined);
      expect(nameProblem('a'.repeat(101))).to.equal('Names can be at most 100 characters.');
    });

    it('refuse control characters, including those normalisation leaves alone', () => {
      for (const name of [
        'Ada\u0000',
        'Ada\u0007Lovelace',
        'Ada\u001b[31m',
        'Ada\u007f',
        'Ada\u0085',
      ]) {
        expect(nameProblem(name), JSON.stringify(name)).to.equal(NAME_CONTROL);
        expect(nameProblem(normalizeName(name)), JSON.stringify(name)).to.equal(NAME_CONTROL);
      }
    });

    it('refuse bidi marks, overrides and isolates that would make a name read backwards', () => {
      const controls = [0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e];
      for (const code of [...controls, 0x2066, 0x2067, 0x2068, 0x2069]) {
        const name = `admin${String.fromCodePoint(code)}gpj.exe`;
        expect(nameProblem(name), code.toString(16)).to.equal(NAME_CONTROL);
      }
    });

    it('refuse a raw line break, which normalisation turns into a space first', () => {
      expect(nameProblem('Ada\nLovelace')).to.equal(NAME_CONTROL);
      expect(nameProblem(normalizeName('Ada\nLovelace'))).to.equal(undefined);
    });
  });
});

describe('picture URLs', () => {
  it('are limited to 2048 characters', () => {
    expect(MAX_PICTURE_URL_LENGTH).to.equal(2048);
    const base = 'https://img.example.com/';
    expect(pictureProblem(`${base}${'a'.repeat(2048 - base.length)}`)).to.equal(undefined);
    expect(pictureProblem(`${base}${'a'.repeat(2049 - base.length)}`)).to.equal(
      'Picture URLs can be at most 2048 characters.',
    );
  });

  it('are accepted over https', () => {
    expect(pictureProblem('https://img.example.com/ada.png?size=128')).to.equal(undefined);
  });

  it('are refused with any other scheme', () => {
    expectEach(
      pictureProblem,
      [
        'http://img.example.com/ada.png',
        'javascript:alert(1)',
        'data:image/png;base64,iVBORw0KGgo=',
        'ftp://img.example.com/ada.png',
        'file:///etc/passwd',
      ],
      PICTURE_HTTPS,
    );
  });

  it('are refused when they are not absolute URLs', () => {
    expectEach(
      pictureProblem,
      ['', '/ada.png', 'img.example.com/ada.png', 'https//img.example.com'],
      PICTURE_HTTPS,
    );
  });

  it('are refused with credentials in them', () => {
    expect(pictureProblem('https://user:pw@img.example.com/ada.png')).to.equal(PICTURE_HTTPS);
    expect(pictureProblem('https://user@img.example.com/ada.png')).to.equal(PICTURE_HTTPS);
  });

  it('are kept in the form browsers serialise them, so one spelling is stored', () => {
    expect(normalizePicture(' HTTPS://Img.Example.COM:443/a b/../ada.png?s=1 2#x ')).to.equal(
      'https://img.example.com/ada.png?s=1%202#x',
    );
    expect(normalizePicture('https://img.example.com/a\u0000b')).to.equal(
      'https://img.example.com/a%00b',
    );
    expect(normalizePicture('not a url')).to.equal('not a url');
  });
});

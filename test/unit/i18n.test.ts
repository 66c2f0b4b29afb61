// Every language has every sentence, with the same parameters and markup as English and the
// plural forms the language counts in; requests get the language they ask for; every page
// renders in every language with no key or placeholder showing.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Pages } from '../../src/http/pages.ts';
import { VIEW_NAMES, VIEWS_DIR, Views } from '../../src/http/views.ts';
import { inLocale, preferUiLocales } from '../../src/i18n/current-locale.ts';
import { en } from '../../src/i18n/en.ts';
import { LOCALES, type Locale } from '../../src/i18n/locales.ts';
import { fromAcceptLanguage, fromUiLocales, negotiateLocale } from '../../src/i18n/negotiate.ts';
import { CATALOGUES, t } from '../../src/i18n/t.ts';
import { describeScopes, groupByResource } from '../../src/interactions/scope-descriptions.ts';

/** Every sentence of a catalogue by its full key (`error.too_many_attempts.message_one`). */
function flatten(node: object, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(node)) {
    if (typeof value === 'string') out.set(`${prefix}${key}`, value);
    else for (const [k, v] of flatten(value as object, `${prefix}${key}.`)) out.set(k, v);
  }
  return out;
}

const PLURAL = /_(zero|one|two|few|many|other)$/;
const english = flatten(en);
/** Sentences English words in plural forms, by their key without the suffix. */
const pluralBases = new Set(
  [...english.keys()].filter((k) => k.endsWith('_other')).map((k) => k.replace(PLURAL, '')),
);
const baseOf = (key: string) => {
  const base = key.replace(PLURAL, '');
  return pluralBases.has(base) ? base : key;
};

/** The keys a language must have: English's, with its own plural forms (CLDR, through Intl). */
function expectedKeys(locale: Locale): string[] {
  const forms = new Intl.PluralRules(locale).resolvedOptions().pluralCategories;
  const keys = new Set<string>();
  for (const key of english.keys()) {
    const base = baseOf(key);
    if (base === key) keys.add(key);
    else for (const form of forms) keys.add(`${base}_${form}`);
  }
  return [...keys].sort();
}

const paramsIn = (text: string) =>
  [...text.matchAll(/\{\{\s*(\w+)\s*(?:,[^}]*)?\}\}/g)].map((m) => m[1] as string);
const tagsIn = (text: string) => [...text.matchAll(/<\/?[a-z]+/g)].map((m) => m[0]).sort();

/** Per sentence (plural forms together): the parameters it uses and the markup it carries. */
function shapes(catalogue: Map<string, string>) {
  const out = new Map<string, { params: Set<string>; tags: string[] }>();
  for (const [key, text] of catalogue) {
    const base = baseOf(key);
    const shape = out.get(base) ?? { params: new Set<string>(), tags: tagsIn(text) };
    for (const p of paramsIn(text)) shape.params.add(p);
    expect(tagsIn(text), `${key}: markup`).to.deep.equal(shape.tags);
    out.set(base, shape);
  }
  return out;
}

describe('translations', () => {
  const englishShapes = shapes(english);

  for (const locale of LOCALES) {
    describe(locale, () => {
      const catalogue = flatten(CATALOGUES[locale]);

      it('has every key English has, in its own plural forms, and no other', () => {
        const have = [...catalogue.keys()].sort();
        const want = expectedKeys(locale);
        expect(
          want.filter((k) => !catalogue.has(k)),
          'missing',
        ).to.deep.equal([]);
        expect(
          have.filter((k) => !want.includes(k)),
          'extra',
        ).to.deep.equal([]);
      });

      it('uses the same parameters and markup as English in every sentence', () => {
        for (const [base, shape] of shapes(catalogue)) {
          const wanted = englishShapes.get(base);
          expect(wanted, base).to.not.equal(undefined);
          expect([...shape.params].sort(), `${base}: parameters`).to.deep.equal(
            [...(wanted?.params ?? [])].sort(),
          );
          expect(shape.tags, `${base}: markup`).to.deep.equal(wanted?.tags);
        }
      });

      it('leaves no sentence empty', () => {
        for (const [key, text] of catalogue) expect(text.trim(), key).to.not.equal('');
      });
    });
  }

  it('finds a missing key, an extra key, a missing plural form and a changed parameter', () => {
    // biome-ignore lint/suspicious/noExplicitAny: a deliberately broken copy
    const broken = structuredClone(CATALOGUES.es) as any;
    delete broken.login.submit;
    broken.login.extra = 'x';
    delete broken.error.too_many_attempts.message_one;
    broken.common.password_hint = 'Al menos {{max}} caracteres.';
    const catalogue = flatten(broken);
    const want = expectedKeys('es');
    expect(want.filter((k) => !catalogue.has(k))).to.deep.equal([
      'error.too_many_attempts.message_one',
      'login.submit',
    ]);
    expect(t('error.too_many_attempts.message', { count: 1_000_000 }, 'es')).to.contain(
      '1.000.000 de minutos',
    );
    expect([...catalogue.keys()].filter((k) => !want.includes(k))).to.deep.equal(['login.extra']);
    expect([...(shapes(catalogue).get('common.password_hint')?.params ?? [])]).to.deep.equal([
      'max',
    ]);
  });

  it('is not English under another name', () => {
    for (const locale of LOCALES.filter((l) => l !== 'en')) {
      const catalogue = flatten(CATALOGUES[locale]);
      const same = [...catalogue].filter(([key, text]) => english.get(key) === text);
      // Only the brand, the page title pattern, language names and codes stay the same.
      expect(same.length, `${locale}: ${same.map(([k]) => k).join(', ')}`).to.be.below(12);
    }
  });

  it('counts in each language (Arabic in six forms), with numbers formatted for it', () => {
    const arabic = [0, 1, 2, 3, 11, 100].map((count) =>
      t('error.too_many_attempts.message', { count }, 'ar'),
    );
    expect(new Set(arabic).size).to.equal(6);
    expect(arabic[1]).to.contain('دقيقة واحدة');
    expect(arabic[2]).to.contain('دقيقتين');
    expect(arabic[3]).to.contain(`${new Intl.NumberFormat('ar').format(3)} دقائق`);
    expect(t('error.too_many_attempts.message', { count: 1 }, 'de')).to.contain('1 Minute ');
    expect(t('error.too_many_attempts.message', { count: 5 }, 'es')).to.contain('5 minutos');
    expect(t('error.hashing_busy.message', { count: 1200 }, 'de')).to.contain('1.200 Sekunden');
  });

  it('escapes parameters, not its own markup, in sentences meant as HTML', () => {
    const html = inLocale({}, () =>
      new Pages(new Views(VIEWS_DIR, { cache: true })).html.loggedOut(
        { nonce: 'n', here: '/' },
        { clientName: '<img src=x>' },
      ),
    );
    expect(html).to.contain('<strong>&lt;img src=x&gt;</strong>');
  });
});

describe('choosing the language', () => {
  it('takes the first supported ui_locales tag, by its primary language', () => {
    expect(fromUiLocales('fr-CA ar-EG de')).to.equal('ar');
    expect(fromUiLocales('de-CH')).to.equal('de');
    expect(fromUiLocales('fr ja')).to.equal(undefined);
    expect(fromUiLocales(['es'])).to.equal(undefined);
    expect(fromUiLocales(undefined)).to.equal(undefined);
  });

  it('ranks Accept-Language by q-value, keeping header order for ties and refusing q=0', () => {
    expect(fromAcceptLanguage('fr;q=0.9, de;q=0.5, es;q=0.8')).to.equal('es');
    expect(fromAcceptLanguage('es-MX, ar')).to.equal('es');
    expect(fromAcceptLanguage('ar;q=0, en;q=0.1')).to.equal('en');
    expect(fromAcceptLanguage('de;q=abc, es;q=0.2')).to.equal('es');
    expect(fromAcceptLanguage('fr, ja')).to.equal(undefined);
    expect(fromAcceptLanguage('*')).to.equal(undefined);
    expect(fromAcceptLanguage(undefined)).to.equal(undefined);
  });

  it('prefers ui_locales, then the remembered choice, then Accept-Language, then English', () => {
    const all = { uiLocales: 'ar', cookie: 'de', acceptLanguage: 'es' };
    // Once the switcher was used on the page shown, the choice it remembered beats ui_locales.
    expect(negotiateLocale({ ...all, switchedHere: true })).to.equal('de');
    expect(negotiateLocale({ ...all, switchedHere: true, cookie: 'xx' })).to.equal('es');
    expect(negotiateLocale(all)).to.equal('ar');
    expect(negotiateLocale({ ...all, uiLocales: 'fr' })).to.equal('de');
    expect(negotiateLocale({ ...all, uiLocales: undefined, cookie: 'xx' })).to.equal('es');
    expect(negotiateLocale({ acceptLanguage: 'fr' })).to.equal('en');
    expect(negotiateLocale({})).to.equal('en');
  });

  it('answers each request in its own language, and English outside a request', async () => {
    const spoken = await Promise.all(
      (['de', 'ar', 'es'] as const).map((cookie) =>
        inLocale({ cookie }, async () => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          return t('login.submit');
        }),
      ),
    );
    expect(spoken).to.deep.equal(['Anmelden', 'تسجيل الدخول', 'Iniciar sesión']);
    expect(t('login.submit')).to.equal('Sign in');
    expect(
      inLocale({ cookie: 'de' }, () => {
        preferUiLocales('es-419');
        return t('login.submit');
      }),
    ).to.equal('Iniciar sesión');
  });
});

describe('every page in every language', () => {
  const views = new Views(VIEWS_DIR, { cache: true });
  const { html } = new Pages(views);
  const page = { nonce: 'n0nce', requestId: 'req-1', here: '/interaction/abc' };
  const interaction = { uid: 'abc', csrf: 'tok', clientName: 'Shop', clientBrand: {} };
  const upstreams = [{ id: 'google', name: 'Google', label: 'Google', svg: '<svg></svg>' }];
  const profile = {
    id: 'acc-1',
    email: 'ada@example.com',
    emailVerified: true,
    name: 'Ada',
    picture: null,
  };
  /** Every view with values that reach all its optional parts. */
  const renderings = (): [string, string][] => [
    [
      'login',
      views.render('login', {
        ...page,
        title: t('login.title'),
        ...interaction,
        email: '',
        error: 'x',
        notice: 'y',
        upstreams,
      }),
    ],
    [
      'signup',
      views.render('signup', {
        ...page,
        title: t('signup.title'),
        ...interaction,
        values: { name: '', email: '' },
        errors: { name: t('field.name.missing') },
        upstreams,
      }),
    ],
    [
      'signup, passkey',
      views.render('signup', {
        ...page,
        title: t('signup.title'),
        ...interaction,
        values: { name: 'Ada', email: 'ada@example.com' },
        errors: {},
        upstreams,
        passkey: { options: '{}' },
      }),
    ],
    [
      'account, adding a passkey',
      views.render('account', {
        ...page,
        title: t('account.title'),
        signedIn: true,
        profile,
        hasPassword: false,
        csrf: 'tok',
        identities: [],
        linkable: [],
        logoutUrl: '/logout',
        passkeys: [],
        passkeyCeremony: '{}',
        passkeyName: 'Laptop',
        devices: [],
        apps: [],
        activity: [],
      }),
    ],
    [
      'consent',
      views.render('consent', {
        ...page,
        title: t('consent.title'),
        ...interaction,
        clientUri: 'https://shop.example/',
        groups: groupByResource(
          describeScopes(
            ['openid', 'profile', 'email', 'offline_access', 'x'],
            { api: ['profile'] },
            { apiAudience: 'api', nameOf: () => 'Shop API' },
          ),
        ),
      }),
    ],
    [
      'link',
      views.render('link', {
        ...page,
        title: t('link.title'),
        ...interaction,
        upstreamName: 'Google',
        email: 'ada@example.com',
        others: [{ id: 'x', name: 'X' }],
        error: 'z',
      }),
    ],
    ['account, signed out', views.render('account', { ...page, title: 'A', signedIn: false })],
    [
      'account',
      views.render('account', {
        ...page,
        title: t('account.title'),
        signedIn: true,
        reauth: 'password',
        profile,
        hasPassword: true,
        csrf: 'tok',
        identities: [{ id: 'i1', upstreamName: 'Google', detail: null, removable: false }],
        linkable: [{ id: 'x', label: 'Link X' }],
        logoutUrl: '/logout',
        passkeys: [
          {
            id: 'p1',
            name: 'Laptop',
            created: 'x',
            lastUsed: null,
            synced: false,
            removable: false,
          },
          { id: 'p2', name: 'Phone', created: 'x', lastUsed: 'y', synced: true, removable: true },
        ],
        passkeyError: 'e',
        devices: [
          { id: 's.a', name: 'Firefox', lines: ['x'], current: true },
          { id: 'g.b', name: 'TV', lines: [], current: false },
        ],
        apps: [
          {
            clientId: 'shop',
            name: 'Shop',
            allowed: t('apps.allowed', { when: 'x' }),
            groups: [
              { resource: undefined, lines: [{ scope: 'email', description: 'e' }] },
              { resource: 'Orders', lines: [{ scope: 'Orders read', description: 'r' }] },
            ],
          },
        ],
        activity: [
          { at: '2026-01-01T00:00:00.000Z', when: 'x', what: 'y', where: 'z', failed: true },
        ],
      }),
    ],
    [
      'error',
      html.error(page, {
        title: t('oidc.title'),
        status: 400,
        message: t('oidc.fallback'),
        detail: 'd',
        code: 'invalid_request',
        backUrl: '/interaction/abc',
      }),
    ],
    ['logout', html.logout(page, { form: '<form id="op.logoutForm"></form>', clientName: 'Shop' })],
    ['logout, no client', html.logout(page, { form: '' })],
    ['logged-out', html.loggedOut(page, { clientName: 'Shop' })],
    ['logged-out, no client', html.loggedOut(page, {})],
  ];
  const keys = [...english.keys()].map(baseOf);

  for (const locale of LOCALES) {
    it(`renders every page in ${locale}, with no key or placeholder showing`, () => {
      for (const [name, body] of inLocale({ cookie: locale }, renderings)) {
        expect(body, name).to.contain(
          `<html lang="${locale}" dir="${locale === 'ar' ? 'rtl' : 'ltr'}">`,
        );
        expect(body, name).to.not.match(/\{\{|\}\}|undefined|\[object/);
        const text = body.replace(/<[^>]*>/g, ' ');
        for (const key of keys) expect(text, `${name}: ${key}`).to.not.contain(key);
        expect(body, name).to.contain(
          `href="/interaction/abc?lang=${locale === 'en' ? 'es' : 'en'}"`,
        );
        expect(body, name).to.match(new RegExp(`hreflang="${locale}" aria-current="true"`));
      }
    });
  }
});

describe('dates and numbers on pages', () => {
  it('are written the way the page language writes them', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'views-'));
    for (const name of VIEW_NAMES) writeFileSync(path.join(dir, `${name}.ejs`), '<%- it.body %>');
    writeFileSync(
      path.join(dir, 'error.ejs'),
      '<%= it.formatDate(new Date(Date.UTC(2026, 11, 7, 12))) %> <%= it.formatNumber(1234.5) %>',
    );
    const views = new Views(dir, { cache: true });
    const render = (cookie: Locale) =>
      inLocale({ cookie }, () => views.render('error', { title: '', nonce: '', here: '/' }));
    expect(render('en')).to.equal('December 7, 2026 1,234.5');
    expect(render('de')).to.equal('7. Dezember 2026 1.234,5');
    expect(render('es')).to.equal('7 de diciembre de 2026 1234,5');
    expect(render('ar')).to.match(/ديسمبر/);
  });
});

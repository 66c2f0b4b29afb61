// Every message renders in every language with the product, the issuer's host and its link, as
// plain text and as HTML that escapes what it is given.
import { expect } from 'chai';
import { LOCALES } from '../../src/i18n/locales.ts';
import type { MailRequest } from '../../src/mail/mailer.ts';
import {
  InvalidMailValues,
  MAIL_TEMPLATES,
  MAIL_VIEWS_DIR,
  MailTemplates,
  type MailValues,
} from '../../src/mail/templates.ts';

const site = {
  product: 'Acme ID',
  issuer: 'https://id.acme.example',
  supportEmail: 'help@acme.example',
};
const templates = new MailTemplates(MAIL_VIEWS_DIR, site);

const VALUES: { [T in keyof MailValues]: MailValues[T] } = {
  'verify-email': { link: 'https://id.acme.example/verify?token=v1', email: 'ana@example.com' },
  'email-changed': { newEmail: 'ana.new@example.com' },
  'sign-up-attempt': {
    signInLink: 'https://id.acme.example/account',
    resetLink: 'https://id.acme.example/reset?token=r0',
  },
  'reset-password': { link: 'https://id.acme.example/reset?token=r1&lang=de' },
};

/** The link each message leads to with its button. */
const ACTION: Record<keyof MailValues, string> = {
  'verify-email': VALUES['verify-email'].link,
  'email-changed': 'https://id.acme.example/account',
  'sign-up-attempt': VALUES['sign-up-attempt'].signInLink,
  'reset-password': VALUES['reset-password'].link,
};

const request = (template: keyof MailValues, locale: MailRequest['locale']): MailRequest => ({
  to: 'ana@example.com',
  template,
  values: VALUES[template],
  locale,
});

describe('mail templates', () => {
  for (const template of MAIL_TEMPLATES) {
    describe(template, () => {
      for (const locale of LOCALES) {
        it(`renders in ${locale} with the product, the issuer host and its link`, () => {
          const mail = templates.render(request(template, locale));
          expect(mail.subject).to.be.a('string').and.not.equal('');
          expect(mail.subject).not.to.include('\n');
          for (const part of [mail.text, mail.html]) {
            expect(part).to.include('Acme ID');
            expect(part).to.include('id.acme.example');
            expect(part).to.include('help@acme.example');
            expect(part).not.to.match(/\{\{|\}\}|mail\.[a-z_]+\./);
          }
          expect(mail.text).to.include(ACTION[template]);
          expect(mail.html).to.include(`href="${ACTION[template].replaceAll('&', '&amp;')}"`);
          expect(mail.text).not.to.match(/<[a-z]/i);
          expect(mail.html).to.include(
            `<html lang="${locale}" dir="${locale === 'ar' ? 'rtl' : 'ltr'}">`,
          );
          for (const value of Object.values(VALUES[template])) {
            expect(mail.text, value).to.include(value);
          }
        });
      }

      it('says something different in each language', () => {
        const subjects = new Set(
          LOCALES.map((l) => templates.render(request(template, l)).subject),
        );
        expect(subjects.size).to.equal(LOCALES.length);
      });
    });
  }

  it('words each message as asked: expiry, what to do if it was not you', () => {
    const en = (template: keyof MailValues) => templates.render(request(template, 'en')).text;
    expect(en('verify-email')).to.include('24 hours').and.include('ignore');
    expect(en('reset-password')).to.include('30 minutes').and.include('password is unchanged');
    expect(en('email-changed')).to.include('ana.new@example.com').and.include('contact support');
    const attempt = en('sign-up-attempt');
    expect(attempt).to.include('already have an account');
    expect(attempt).to.include(VALUES['sign-up-attempt'].resetLink);
  });

  it('escapes the values in the HTML and keeps them as written in the text', () => {
    const mail = templates.render({
      ...request('email-changed', 'en'),
      values: { newEmail: '"><script>alert(1)</script>@example.com' },
    });
    expect(mail.html).not.to.include('<script>');
    expect(mail.html).to.include('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mail.text).to.include('"><script>alert(1)</script>@example.com');
  });

  it('escapes the product name and a link with quotes in the HTML', () => {
    const other = new MailTemplates(MAIL_VIEWS_DIR, { ...site, product: 'A & "B"' });
    const mail = other.render({
      ...request('reset-password', 'en'),
      values: { link: 'https://id.acme.example/reset?t="x"&a=<b>' },
    });
    expect(mail.html).to.include('A &amp; &#34;B&#34;');
    expect(mail.html).not.to.include('"x"');
    expect(mail.html).not.to.include('<b>');
  });

  it('refuses a missing value, a link that is not http(s), and an unknown template', () => {
    const render = (mail: MailRequest) => () => templates.render(mail);
    expect(
      render({ ...request('verify-email', 'en'), values: { link: VALUES['verify-email'].link } }),
    ).to.throw(InvalidMailValues, 'value "email" is missing');
    expect(
      render({ ...request('reset-password', 'en'), values: { link: 'javascript:alert(1)' } }),
    ).to.throw(InvalidMailValues, 'value "link" is not an http(s) URL');
    expect(render({ ...request('reset-password', 'en'), template: 'welcome' as never })).to.throw(
      InvalidMailValues,
      'no such template',
    );
  });

  it('leaves the support line out when no support address is configured', () => {
    const plain = new MailTemplates(MAIL_VIEWS_DIR, { product: 'Latchkey', issuer: site.issuer });
    const mail = plain.render(request('reset-password', 'es'));
    expect(mail.text).not.to.include('@acme.example');
    expect(mail.html).not.to.include('mailto:');
  });

  it('refuses to start when a layout is missing', () => {
    expect(() => new MailTemplates('/nonexistent', site)).to.throw(/ENOENT/);
  });
});

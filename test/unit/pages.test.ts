// Every page in views/ is known, compiles at start, and renders with its typed values.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Pages } from '../../src/http/pages.ts';
import { VIEW_NAMES, VIEWS_DIR, Views } from '../../src/http/views.ts';

describe('pages', () => {
  it('lists exactly the view files there are', () => {
    const files = readdirSync(VIEWS_DIR)
      .filter((f) => f.endsWith('.ejs'))
      .map((f) => f.slice(0, -'.ejs'.length));
    expect([...VIEW_NAMES].sort()).to.deep.equal(files.sort());
  });

  it('refuses to start when a view is missing or does not compile', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'views-'));
    expect(() => new Views(dir, { cache: true })).to.throw(/ENOENT/);
    for (const name of VIEW_NAMES) writeFileSync(path.join(dir, `${name}.ejs`), '<%= it.title %>');
    expect(() => new Views(dir, { cache: true })).to.not.throw();
    writeFileSync(path.join(dir, 'login.ejs'), '<% if (it.x) { %>');
    expect(() => new Views(dir, { cache: true })).to.throw();
  });

  it('renders the provider pages in the layout with their titles', () => {
    const { html } = new Pages(new Views(VIEWS_DIR, { cache: true }));
    const page = { nonce: 'n0nce', requestId: 'req-1', here: '/session/end' };
    expect(html.logout(page, { form: '<form id="op.logoutForm"></form>' })).to.contain(
      '<title>Sign out · Latchkey</title>',
    );
    expect(html.loggedOut(page, { clientName: 'Shop' })).to.contain('<strong>Shop</strong>');
    const error = html.error(page, { title: 'Oops', status: 400, message: '<b>x</b>' });
    expect(error).to.contain('&lt;b&gt;x&lt;/b&gt;').and.contain('req-1');
  });
});

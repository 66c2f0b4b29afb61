// "Passkeys" on the account page: add one (named, after a recent sign-in), rename, and remove
// one unless it is the account's last way to sign in (also after a recent sign-in).
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { PasskeySummary, Passkeys } from '../accounts/passkeys.ts';
import { type Expected, onForm, type Rejection } from '../http/form-rejected.ts';
import { currentLocale } from '../i18n/current-locale.ts';
import { t } from '../i18n/t.ts';
import type { AccountPageKit } from './account-page-kit.ts';

/** One passkey as the page shows it. */
export interface PasskeyRow {
  id: string;
  name: string;
  created: string;
  lastUsed: string | null;
  synced: boolean;
  removable: boolean;
}

const ADD_REFUSALS: Expected = {
  invalid_input: {},
  passkey_refused: { key: 'passkey.refused' },
  passkey_challenge_invalid: { key: 'passkey.expired' },
  passkey_already_added: { key: 'passkey.already_added' },
};

const RENAME_REFUSALS: Expected = {
  invalid_input: {},
  account_not_found: { key: 'passkey.gone' },
};

const REMOVE_REFUSALS: Expected = {
  last_sign_in_method: { key: 'account.only_method' },
  account_not_found: { key: 'passkey.gone' },
};

/** The page's rows; `others` counts the account's other ways to sign in (password, upstreams). */
export function passkeyRows(passkeys: readonly PasskeySummary[], others: number): PasskeyRow[] {
  const date = new Intl.DateTimeFormat(currentLocale(), { dateStyle: 'medium' });
  return passkeys.map((p) => ({
    id: p.id,
    name: p.name,
    created: date.format(p.createdAt),
    lastUsed: p.lastUsedAt ? date.format(p.lastUsedAt) : null,
    synced: p.synced,
    removable: others + passkeys.length > 1,
  }));
}

const idOf = (ctx: Context) => String(ctx.params.id).slice(0, 64);

export function passkeyRoutes(router: Router, kit: AccountPageKit, passkeys: Passkeys) {
  // Step one: the name, checked; the page comes back with the ceremony's options for its script.
  router.post('/account/passkeys/start', async (ctx) => {
    const { current, body } = await kit.signedInForm(ctx);
    if (!(await kit.recentOrReprompt(ctx, current, 'passkeys'))) return;
    const name = body.text('name').slice(0, 1024);
    const again = (r: Rejection) =>
      kit.page(ctx, r.status, {
        passkeyError: r.fields?.passkey_name ?? r.message,
        passkeyName: name,
      });
    const options = await onForm(again, ADD_REFUSALS, () =>
      passkeys.addOptions(current.profile.id, current.session.jti, name),
    );
    await kit.page(ctx, 200, { passkeyCeremony: JSON.stringify(options), passkeyName: name });
  });

  // Step two: the passkey the browser created, for the challenge bound to this session.
  router.post('/account/passkeys', async (ctx) => {
    const { current, body } = await kit.signedInForm(ctx);
    if (!(await kit.recentOrReprompt(ctx, current, 'passkeys'))) return;
    const again = (r: Rejection) => kit.page(ctx, r.status, { passkeyError: r.message });
    const added = await onForm(again, ADD_REFUSALS, () =>
      passkeys.add(current.profile.id, current.session.jti, body.text('credential')),
    );
    ctx.state.log.info(
      { event: 'passkey.added', accountId: current.profile.id, passkeyId: added.id },
      'passkey added',
    );
    await kit.page(ctx, 200, { notice: t('passkey.added', { name: added.name }) });
  });

  router.post('/account/passkeys/:id/rename', async (ctx) => {
    const { current, body } = await kit.signedInForm(ctx);
    const name = body.text('name').slice(0, 1024);
    const again = (r: Rejection) =>
      kit.page(ctx, r.status, { passkeyError: r.fields?.passkey_name ?? r.message });
    await onForm(again, RENAME_REFUSALS, () =>
      passkeys.rename(current.profile.id, idOf(ctx), name),
    );
    await kit.page(ctx, 200, { notice: t('passkey.renamed') });
  });

  router.post('/account/passkeys/:id/remove', async (ctx) => {
    const { current } = await kit.signedInForm(ctx);
    if (!(await kit.recentOrReprompt(ctx, current, 'passkeys'))) return;
    const again = (r: Rejection) => kit.page(ctx, r.status, { passkeyError: r.message });
    await onForm(again, REMOVE_REFUSALS, () => passkeys.remove(current.profile.id, idOf(ctx)));
    ctx.state.log.info(
      { event: 'passkey.removed', accountId: current.profile.id },
      'passkey removed',
    );
    await kit.page(ctx, 200, { notice: t('passkey.removed') });
  });
}

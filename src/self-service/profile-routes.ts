// The account page's profile form: name and picture, with the rules of PATCH /api/me.
import type Router from '@koa/router';
import type { AccountService } from '../accounts/account-service.ts';
import { type Expected, onForm, type Rejection } from '../http/form-rejected.ts';
import { t } from '../i18n/t.ts';
import type { AccountPageKit } from './account-page-kit.ts';

const PROFILE_REFUSALS: Expected = { invalid_input: {} };

export function profileRoutes(router: Router, kit: AccountPageKit, accounts: AccountService) {
  router.post('/account/profile', async (ctx) => {
    const { current, body } = await kit.signedInForm(ctx);
    const values = { name: body.text('name'), picture: body.text('picture') };
    const again = (r: Rejection) =>
      kit.page(ctx, r.status, { profileErrors: r.fields ?? {}, profileValues: values });
    await onForm(again, PROFILE_REFUSALS, () =>
      // An empty picture field removes the picture.
      accounts.updateProfile(current.profile.id, {
        name: values.name,
        picture: values.picture.trim() === '' ? null : values.picture,
      }),
    );
    ctx.state.log.info(
      { event: 'profile.updated', accountId: current.profile.id },
      'profile updated',
    );
    await kit.page(ctx, 200, { notice: t('account.profile.saved') });
  });
}

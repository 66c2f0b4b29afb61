// The account page's two-step sign-in section: turning it on (QR code, then a first code), the
// recovery codes (shown once, replaced on request), "always ask", remembered browsers, turning it
// off. Turning it on or off, new codes and no longer always asking need a recent sign-in.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Profile } from '../accounts/account.ts';
import type { SecondFactors } from '../accounts/second-factors.ts';
import { type Expected, FormRejected, onForm, type Rejection } from '../http/form-rejected.ts';
import type { TwoStepView } from '../http/pages.ts';
import { accountLabel, qrSvg } from '../http/qr-code.ts';
import { currentLocale } from '../i18n/current-locale.ts';
import { t } from '../i18n/t.ts';
import type { AccountPageKit } from './account-page-kit.ts';

const CONFIRM_REFUSALS: Expected = {
  invalid_code: { key: 'totp.wrong_code' },
  too_many_attempts: {},
  no_second_factor: { key: 'totp.no_enrolment' },
};

const ON_REFUSALS: Expected = { second_factor_exists: { key: 'totp.already_on' } };
const CODES_REFUSALS: Expected = { no_second_factor: { key: 'totp.not_on' } };

/** What the section shows for `profile`; the QR code only while an enrolment waits. */
export async function twoStepView(factors: SecondFactors, profile: Profile): Promise<TwoStepView> {
  const status = await factors.status(profile.id);
  const format = new Intl.DateTimeFormat(currentLocale(), { dateStyle: 'medium' });
  const enrolment = status.enrolling
    ? await factors.pendingEnrolment(profile.id, accountLabel(profile))
    : undefined;
  return {
    on: status.totpSince !== null,
    since: status.totpSince ? format.format(status.totpSince) : undefined,
    enrolment: enrolment && { qr: await qrSvg(enrolment.uri), secret: enrolment.secret },
    recoveryCodesLeft: status.recoveryCodesLeft,
    alwaysAsk: status.alwaysAsk,
    browsers: status.rememberedBrowsers.map((b) => ({
      id: b.id,
      label: b.label || t('totp.browser_unknown'),
      since: format.format(b.createdAt),
      until: format.format(b.expiresAt),
    })),
  };
}

export function twoStepRoutes(router: Router, kit: AccountPageKit, factors: SecondFactors): void {
  const toSection = (ctx: Context) => {
    ctx.status = 303;
    ctx.redirect('/account#two-step');
  };

  router.post('/account/two-step/start', async (ctx) => {
    const { current } = await kit.signedInForm(ctx);
    if (!(await kit.recentOrReprompt(ctx, current, 'two-step'))) return;
    const again = (r: Rejection) => kit.page(ctx, r.status, { error: r.message });
    await onForm(again, ON_REFUSALS, () =>
      factors.startTotp(current.profile.id, accountLabel(current.profile)),
    );
    toSection(ctx);
  });

  router.post('/account/two-step/confirm', async (ctx) => {
    const { current, body } = await kit.signedInForm(ctx);
    const code = body.text('code').slice(0, 64).trim();
    const again = (r: Rejection) => kit.page(ctx, r.status, { totpError: r.message });
    if (code === '') throw new FormRejected(again, { status: 400, key: 'totp.missing_code' });
    const codes = await onForm(again, CONFIRM_REFUSALS, () =>
      factors.confirmTotp(current.profile.id, code, ctx.ip),
    );
    ctx.state.log.info(
      { event: 'totp.enabled', accountId: current.profile.id, during: 'account' },
      'two-step sign-in turned on',
    );
    // The codes exist in this answer only (their hashes are kept): never behind a redirect.
    await kit.page(ctx, 200, { notice: t('totp.enabled'), recoveryCodes: codes });
  });

  router.post('/account/two-step/cancel', async (ctx) => {
    const { current } = await kit.signedInForm(ctx);
    await factors.cancelEnrolment(current.profile.id);
    toSection(ctx);
  });

  router.post('/account/two-step/recovery-codes', async (ctx) => {
    const { current } = await kit.signedInForm(ctx);
    if (!(await kit.recentOrReprompt(ctx, current, 'two-step'))) return;
    const again = (r: Rejection) => kit.page(ctx, r.status, { error: r.message });
    const codes = await onForm(again, CODES_REFUSALS, () =>
      factors.regenerateRecoveryCodes(current.profile.id),
    );
    ctx.state.log.info(
      { event: 'recovery_codes.replaced', accountId: current.profile.id },
      'recovery codes replaced',
    );
    await kit.page(ctx, 200, { notice: t('totp.codes_replaced'), recoveryCodes: codes });
  });

  router.post('/account/two-step/always', async (ctx) => {
    const { current, body } = await kit.signedInForm(ctx);
    const on = body.text('always') === 'on';
    // Asking less often weakens the account: only after a recent sign-in.
    if (!on && !(await kit.recentOrReprompt(ctx, current, 'two-step'))) return;
    const again = (r: Rejection) => kit.page(ctx, r.status, { error: r.message });
    await onForm(again, CODES_REFUSALS, () => factors.setAlwaysAsk(current.profile.id, on));
    ctx.state.log.info(
      { event: 'second_step.always_ask', accountId: current.profile.id, on },
      'always-ask changed',
    );
    await kit.page(ctx, 200, { notice: t(on ? 'totp.always_on' : 'totp.always_off') });
  });

  router.post('/account/two-step/browsers/forget', async (ctx) => {
    const { current, body } = await kit.signedInForm(ctx);
    const id = body.text('browser');
    await factors.forgetBrowsers(current.profile.id, id === '' ? undefined : id.slice(0, 64));
    await kit.page(ctx, 200, { notice: t('totp.browsers_forgotten') });
  });

  router.post('/account/two-step/remove', async (ctx) => {
    const { current } = await kit.signedInForm(ctx);
    if (!(await kit.recentOrReprompt(ctx, current, 'two-step'))) return;
    await factors.removeTotp(current.profile.id);
    ctx.state.log.info(
      { event: 'totp.removed', accountId: current.profile.id },
      'two-step sign-in turned off',
    );
    await kit.page(ctx, 200, { notice: t('totp.removed') });
  });
}

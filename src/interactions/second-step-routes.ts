// The second-step pages inside an authorization request: the one-time code (or a recovery code),
// and, when two factors are required and the account has none, setting one up there and then.
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { AccountService } from '../accounts/account-service.ts';
import type { Passkeys } from '../accounts/passkeys.ts';
import type { SecondFactors } from '../accounts/second-factors.ts';
import { deviceLabelText } from '../device/device-label.ts';
import { type Expected, FormRejected, onForm, type Rejection } from '../http/form-rejected.ts';
import { accountLabel, qrSvg } from '../http/qr-code.ts';
import type { Details, InteractionKit } from './interaction-kit.ts';
import { OTP_AMR, type PendingSignIn, REMEMBER_COOKIE, type SecondStep } from './second-step.ts';

export interface SecondStepRoutesDeps {
  kit: InteractionKit;
  secondStep: SecondStep;
  factors: SecondFactors;
  /** A passkey of the account passes the step too (a possession factor verified with UV). */
  passkeys: Passkeys;
  accounts: AccountService;
  sameOrigin: Middleware;
  https: boolean;
}

const PASSKEY_REFUSALS: Expected = {
  passkey_refused: { key: 'passkey.refused' },
  passkey_challenge_invalid: { key: 'passkey.expired' },
  passkey_unknown: { key: 'passkey.unknown' },
  passkey_counter_regressed: { key: 'passkey.refused' },
};

const CODE_REFUSALS: Expected = {
  invalid_code: { key: 'second_step.wrong_code' },
  too_many_attempts: {},
};

const SETUP_REFUSALS: Expected = {
  invalid_code: { key: 'totp.wrong_code' },
  too_many_attempts: {},
};

export function secondStepRoutes(deps: SecondStepRoutesDeps): Router {
  const { kit, secondStep, factors, accounts, passkeys } = deps;
  const router = new Router({ prefix: '/interaction' });
  router.use(deps.sameOrigin);

  /** The person waiting at this step; anyone else goes back to the start of the interaction. */
  async function waiting(ctx: Context, details: Details): Promise<PendingSignIn | undefined> {
    const pending = await secondStep.pending(details.uid);
    if (!pending) {
      ctx.status = 303;
      ctx.redirect(`/interaction/${details.uid}`);
    }
    return pending;
  }

  const back = (ctx: Context, uid: string, path: string) => {
    ctx.status = 303;
    ctx.redirect(`/interaction/${uid}/second-step${path}`);
  };

  async function codePage(ctx: Context, details: Details, status: number, error?: string) {
    const pending = await secondStep.pending(details.uid);
    const [totp, passkey] = pending
      ? await Promise.all([
          factors.hasSecondFactor(pending.accountId),
          passkeys.count(pending.accountId).then((n) => n > 0),
        ])
      : [true, false];
    kit.pages.secondStep(ctx, status, {
      ...(await kit.interactionLocals(details)),
      totp,
      passkey,
      error,
    });
  }

  async function setupPage(
    ctx: Context,
    details: Details,
    pending: PendingSignIn,
    status: number,
    error?: string,
  ) {
    const profile = await accounts.findProfile(pending.accountId);
    if (!profile) return back(ctx, details.uid, '');
    const label = accountLabel(profile);
    const enrolment =
      (await factors.pendingEnrolment(profile.id, label)) ??
      (await factors.startTotp(profile.id, label));
    kit.pages.secondStepSetup(ctx, status, {
      ...(await kit.interactionLocals(details)),
      qr: await qrSvg(enrolment.uri),
      secret: enrolment.secret,
      error,
    });
  }

  router.get(
    '/:uid/second-step',
    kit.step({ prompt: 'login' }, async (ctx, { details }) => {
      const pending = await waiting(ctx, details);
      if (!pending) return;
      if (pending.setup) return back(ctx, details.uid, pending.enrolled ? '/codes' : '/setup');
      await codePage(ctx, details, 200);
    }),
  );

  router.post(
    '/:uid/second-step',
    kit.step({ prompt: 'login', form: true }, async (ctx, { details, form }) => {
      const pending = await waiting(ctx, details);
      if (!pending) return;
      if (pending.setup) return back(ctx, details.uid, '/setup');
      const code = kit.field(form, 'code');
      const again = (r: Rejection) => codePage(ctx, details, r.status, r.message);
      if (code.trim() === '') {
        throw new FormRejected(again, { status: 400, key: 'second_step.missing' });
      }
      const kind = await onForm(
        again,
        CODE_REFUSALS,
        kit.judge('second_step', () => factors.verify(pending.accountId, code, ctx.ip)),
      );
      ctx.state.log.info(
        { event: 'second_step.passed', accountId: pending.accountId, kind },
        'second step passed',
      );
      if (form.text('remember_browser') === 'yes') {
        const label = deviceLabelText(ctx.get('user-agent'));
        const { token, maxAgeMs } = await factors.rememberBrowser(pending.accountId, label);
        ctx.cookies.set(REMEMBER_COOKIE, token, {
          httpOnly: true,
          sameSite: 'lax',
          secure: deps.https,
          path: '/interaction',
          overwrite: true,
          maxAge: maxAgeMs,
        });
      }
      if (!(await secondStep.complete(ctx, details, OTP_AMR))) {
        ctx.status = 303;
        ctx.redirect(`/interaction/${details.uid}`);
      }
    }),
  );

  router.post(
    '/:uid/second-step/passkey/options',
    kit.step({ prompt: 'login', form: true }, async (ctx, { details }) => {
      const pending = await waiting(ctx, details);
      if (!pending) return;
      ctx.type = 'application/json';
      ctx.body = await passkeys.authenticationOptions(details.uid, pending.accountId);
    }),
  );

  router.post(
    '/:uid/second-step/passkey',
    kit.step({ prompt: 'login', form: true }, async (ctx, { details, form }) => {
      const pending = await waiting(ctx, details);
      if (!pending) return;
      const again = (r: Rejection) => codePage(ctx, details, r.status, r.message);
      const assertion = await onForm(
        again,
        PASSKEY_REFUSALS,
        kit.judge('second_step', () =>
          passkeys.verifyAssertion(details.uid, form.text('credential'), pending.accountId),
        ),
      );
      ctx.state.log.info(
        { event: 'second_step.passed', accountId: pending.accountId, kind: 'passkey' },
        'second step passed',
      );
      if (!(await secondStep.complete(ctx, details, assertion.amr))) {
        ctx.status = 303;
        ctx.redirect(`/interaction/${details.uid}`);
      }
    }),
  );

  router.get(
    '/:uid/second-step/setup',
    kit.step({ prompt: 'login' }, async (ctx, { details }) => {
      const pending = await waiting(ctx, details);
      if (!pending) return;
      if (!pending.setup) return back(ctx, details.uid, '');
      if (pending.enrolled) return back(ctx, details.uid, '/codes');
      await setupPage(ctx, details, pending, 200);
    }),
  );

  router.post(
    '/:uid/second-step/setup',
    kit.step({ prompt: 'login', form: true }, async (ctx, { details, form }) => {
      const pending = await waiting(ctx, details);
      if (!pending) return;
      if (!pending.setup || pending.enrolled) return back(ctx, details.uid, '');
      const code = kit.field(form, 'code').trim();
      const again = (r: Rejection) => setupPage(ctx, details, pending, r.status, r.message);
      if (code === '') throw new FormRejected(again, { status: 400, key: 'totp.missing_code' });
      const codes = await onForm(again, SETUP_REFUSALS, () =>
        factors.confirmTotp(pending.accountId, code, ctx.ip),
      );
      await secondStep.store.update(details.uid, { ...pending, enrolled: true });
      ctx.state.log.info(
        { event: 'totp.enabled', accountId: pending.accountId, during: 'sign-in' },
        'two-step sign-in turned on',
      );
      // Shown once, in this answer only: a reload shows the continue button without them.
      kit.pages.recoveryCodes(ctx, 200, { ...(await kit.interactionLocals(details)), codes });
    }),
  );

  router.get(
    '/:uid/second-step/codes',
    kit.step({ prompt: 'login' }, async (ctx, { details }) => {
      const pending = await waiting(ctx, details);
      if (!pending) return;
      if (!pending.enrolled) return back(ctx, details.uid, '');
      kit.pages.recoveryCodes(ctx, 200, { ...(await kit.interactionLocals(details)), codes: [] });
    }),
  );

  router.post(
    '/:uid/second-step/continue',
    kit.step({ prompt: 'login', form: true }, async (ctx, { details }) => {
      const pending = await waiting(ctx, details);
      if (!pending) return;
      if (!pending.enrolled) return back(ctx, details.uid, '');
      if (!(await secondStep.complete(ctx, details, OTP_AMR))) {
        ctx.status = 303;
        ctx.redirect(`/interaction/${details.uid}`);
      }
    }),
  );

  return router;
}

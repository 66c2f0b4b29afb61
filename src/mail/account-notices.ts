// The account notices as mail: each becomes one message in the language of the request that
// caused it, with links into this issuer.
import type { AccountNotices } from '../accounts/account-notices.ts';
import { currentLocale } from '../i18n/current-locale.ts';
import type { Mailer } from './mailer.ts';

/** The pages a mail links to (src/self-service/email-routes.ts serves them). */
export function emailLinks(issuer: string) {
  const at = (path: string, token?: string) => {
    const url = new URL(`${issuer}${path}`);
    if (token !== undefined) url.searchParams.set('token', token);
    return url.toString();
  };
  return {
    confirm: (token: string) => at('/email/confirm', token),
    reset: (token: string) => at('/password/reset', token),
    forgot: () => at('/password/forgot'),
    account: () => at('/account'),
  };
}

export function mailNotices(mailer: Mailer, issuer: string): AccountNotices {
  const links = emailLinks(issuer);
  return {
    confirmAddress(to, token) {
      mailer.send({
        to,
        template: 'verify-email',
        values: { link: links.confirm(token), email: to },
        locale: currentLocale(),
      });
    },
    signUpAttempted(to) {
      mailer.send({
        to,
        template: 'sign-up-attempt',
        values: { signInLink: links.account(), resetLink: links.forgot() },
        locale: currentLocale(),
      });
    },
    emailChanged(oldAddress, newAddress) {
      mailer.send({
        to: oldAddress,
        template: 'email-changed',
        values: { newEmail: newAddress },
        locale: currentLocale(),
      });
    },
    resetPassword(to, token) {
      mailer.send({
        to,
        template: 'reset-password',
        values: { link: links.reset(token) },
        locale: currentLocale(),
      });
    },
  };
}

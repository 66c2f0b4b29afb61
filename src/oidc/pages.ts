// Pages oidc-provider renders itself (errors, logout confirmation, signed out), in our layout.
import type { ErrorOut, KoaContextWithOIDC } from 'oidc-provider';
import { asStoreUnavailable } from '../db/store-outages.ts';
import { switcherTarget } from '../http/language.ts';
import { Pages } from '../http/pages.ts';
import { requestInfo } from '../http/request-context.ts';
import type { Views } from '../http/views.ts';
import { preferUiLocales } from '../i18n/current-locale.ts';
import { isMessageKey, t } from '../i18n/t.ts';
import { ACCOUNT_CLIENT_ID } from './clients.ts';

export interface OidcPages {
  renderError(ctx: KoaContextWithOIDC, out: ErrorOut, error: Error): Promise<void>;
  logoutSource(ctx: KoaContextWithOIDC, form: string): Promise<void>;
  postLogoutSuccessSource(ctx: KoaContextWithOIDC): Promise<void>;
}

const clientName = (ctx: KoaContextWithOIDC) =>
  ctx.oidc?.client?.clientName ?? ctx.oidc?.client?.clientId;

export function oidcPages(views: Views): OidcPages {
  const { html } = new Pages(views);
  // The application's ui_locales on the request (authorization, end_session) choose the language.
  const page = (ctx: KoaContextWithOIDC) => {
    preferUiLocales(ctx.oidc?.params?.ui_locales);
    const info = requestInfo(ctx.req);
    return { nonce: info?.nonce ?? '', requestId: info?.id ?? '', here: switcherTarget(ctx) };
  };
  return {
    async renderError(ctx, out, error) {
      const internal = ctx.status >= 500 || out.error === 'server_error';
      // An outage is logged once, when it starts (http/errors.ts answers it with a 503).
      if (internal && !asStoreUnavailable(error)) {
        requestInfo(ctx.req)?.log.error({ err: error }, 'oidc error page');
      }
      const reason = `oidc.reason.${out.error}`;
      ctx.type = 'html';
      ctx.body = html.error(page(ctx), {
        title: t('oidc.title'),
        status: ctx.status,
        message: t(isMessageKey(reason) ? reason : 'oidc.fallback'),
        // The description is the library's precise reason, safe to show except for server errors.
        detail: internal ? undefined : out.error_description,
        code: out.error,
      });
    },
    async logoutSource(ctx, form) {
      ctx.type = 'html';
      // Signing out from Latchkey's own account page is the person's own click: no question.
      if (ctx.oidc?.client?.clientId === ACCOUNT_CLIENT_ID) {
        ctx.body = html.logout(page(ctx), {
          form,
          auto: { heading: t('logout.auto_heading'), button: t('logout.auto_button') },
        });
        return;
      }
      ctx.body = html.logout(page(ctx), { form, clientName: clientName(ctx) });
    },
    async postLogoutSuccessSource(ctx) {
      ctx.type = 'html';
      ctx.body = html.loggedOut(page(ctx), { clientName: clientName(ctx) });
    },
  };
}

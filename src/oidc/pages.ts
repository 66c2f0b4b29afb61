// Pages oidc-provider renders itself (errors, logout confirmation, signed out), in our layout.
import type { ErrorOut, KoaContextWithOIDC } from 'oidc-provider';
import { asStoreUnavailable } from '../db/store-outages.ts';
import { requestInfo } from '../http/request-context.ts';
import type { Views } from '../http/views.ts';

export interface OidcPages {
  renderError(ctx: KoaContextWithOIDC, out: ErrorOut, error: Error): Promise<void>;
  logoutSource(ctx: KoaContextWithOIDC, form: string): Promise<void>;
  postLogoutSuccessSource(ctx: KoaContextWithOIDC): Promise<void>;
}

const clientName = (ctx: KoaContextWithOIDC) =>
  ctx.oidc?.client?.clientName ?? ctx.oidc?.client?.clientId;

const FRIENDLY: Record<string, string> = {
  invalid_request: 'The application sent an invalid sign-in request.',
  invalid_client: 'The application is not registered with this sign-in service.',
  invalid_redirect_uri: 'The application asked to return to an address it has not registered.',
  unauthorized_client: 'The application is not allowed to make this request.',
  invalid_scope: 'The application asked for access that is not available.',
  access_denied: 'Access was denied.',
  server_error: 'Something went wrong on our side.',
};

export function oidcPages(views: Views): OidcPages {
  const page = (ctx: KoaContextWithOIDC) => {
    const info = requestInfo(ctx.req);
    return { nonce: info?.nonce ?? '', requestId: info?.id ?? '' };
  };
  return {
    async renderError(ctx, out, error) {
      const internal = ctx.status >= 500 || out.error === 'server_error';
      // An outage is logged once, when it starts (http/errors.ts answers it with a 503).
      if (internal && !asStoreUnavailable(error)) {
        requestInfo(ctx.req)?.log.error({ err: error }, 'oidc error page');
      }
      ctx.type = 'html';
      ctx.body = views.render('error', {
        ...page(ctx),
        title: 'Sign-in could not continue',
        status: ctx.status,
        message: FRIENDLY[out.error] ?? 'The sign-in request could not be completed.',
        // The description is the library's precise reason, safe to show except for server errors.
        detail: internal ? undefined : out.error_description,
        code: out.error,
      });
    },
    async logoutSource(ctx, form) {
      ctx.type = 'html';
      ctx.body = views.render('logout', {
        ...page(ctx),
        title: 'Sign out',
        // The library's own form: a POST with its CSRF token, nothing a person typed.
        form,
        clientName: clientName(ctx),
      });
    },
    async postLogoutSuccessSource(ctx) {
      ctx.type = 'html';
      ctx.body = views.render('logged-out', {
        ...page(ctx),
        title: 'Signed out',
        clientName: clientName(ctx),
      });
    },
  };
}

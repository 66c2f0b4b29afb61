// The account page's own client registration: Latchkey's account page signs people in through
// the provider like any first-party application.
import { DEFAULT_PRODUCT } from '../config/brand.ts';
import { t } from '../i18n/t.ts';
import { ACCOUNT_CLIENT_ID, type ClientEntry } from '../oidc/clients.ts';

/** The account page's own registration: response_type "none" only establishes the session. */
export function accountClient(issuer: string, product = DEFAULT_PRODUCT): ClientEntry {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    client_name: t('brand.account_client', { product }),
    token_endpoint_auth_method: 'none',
    response_types: ['none'],
    grant_types: [],
    redirect_uris: [`${issuer}/account/callback`],
    post_logout_redirect_uris: [`${issuer}/account`, `${issuer}/account/signed-out`],
    first_party: true,
  };
}

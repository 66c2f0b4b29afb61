// A device app's side of RFC 8628 (asking for a code, polling /token) and the device clients.
import axios from 'axios';
import type { Browser } from './browser.ts';
import { formByAction } from './browser.ts';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export const DEVICE_CLIENTS = {
  tv: {
    client_id: 'test-tv',
    client_name: 'Test TV',
    token_endpoint_auth_method: 'none',
    grant_types: [DEVICE_CODE_GRANT, 'refresh_token'],
    response_types: [],
    first_party: true,
  },
  /** A partner's device app: no consent page either, the confirm page is the consent. */
  partnerTv: {
    client_id: 'partner-tv',
    client_name: 'Partner TV',
    token_endpoint_auth_method: 'none',
    grant_types: [DEVICE_CODE_GRANT, 'refresh_token'],
    response_types: [],
    first_party: false,
  },
} as const;

export const TV_USER_AGENT =
  'Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/538.1 (KHTML, like Gecko) Version/6.0 TV Safari/538.1';

export interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

/** The device asks for a code (POST /device/auth), as a TV app would. */
export async function startDevice(
  issuer: string,
  scope = 'openid profile offline_access',
  clientId: string = DEVICE_CLIENTS.tv.client_id,
): Promise<DeviceAuthorization> {
  const res = await axios.post(`${issuer}/device/auth`, form({ client_id: clientId, scope }), {
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': TV_USER_AGENT },
    validateStatus: () => true,
  });
  if (res.status !== 200)
    throw new Error(`device authorization: ${res.status} ${JSON.stringify(res.data)}`);
  return res.data as DeviceAuthorization;
}

/** One poll of the token endpoint with the device code. */
export async function pollToken(
  issuer: string,
  deviceCode: string,
  clientId: string = DEVICE_CLIENTS.tv.client_id,
) {
  const res = await axios.post(
    `${issuer}/token`,
    form({ grant_type: DEVICE_CODE_GRANT, device_code: deviceCode, client_id: clientId }),
    {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      validateStatus: () => true,
    },
  );
  return { status: res.status, data: res.data as Record<string, unknown> };
}

/** Types `typed` on the code page of a signed-in browser; the page that answers (confirm or not). */
export async function enterCode(browser: Browser, typed: string) {
  const page = await browser.get('/device');
  const entry = formByAction(page.data, '/device');
  return browser.post('/device', { ...entry.fields, user_code: typed });
}

/** Presses one of the confirm page's buttons: "confirm" (allow) or "abort" (this wasn't me). */
export function pressOnConfirmPage(
  browser: Browser,
  confirmPage: string,
  button: 'confirm' | 'abort',
) {
  const confirm = formByAction(confirmPage, '/device');
  return browser.post('/device', { ...confirm.fields, [button]: 'yes' });
}

// QR codes drawn on the server as inline SVG (no script, nothing remote): an authenticator app's
// otpauth URI, labelled the way the app will list the account.
import QRCode from 'qrcode';
import type { Profile } from '../accounts/account.ts';

/** What authenticator apps show beside the product's name: the email, else the name. */
export const accountLabel = (profile: Profile) => profile.email ?? profile.name ?? profile.id;

export const qrSvg = (uri: string) =>
  QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });

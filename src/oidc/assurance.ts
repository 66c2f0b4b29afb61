// How sure a sign-in is, as relying parties ask for it (`acr_values`) and read it (`acr`, `amr`):
// the methods used (RFC 8176 `amr` values) decide the level (`acr`).
//
//   urn:latchkey:acr:1fa  one factor: a password alone, or a sign-in through Google, Facebook or X
//   urn:latchkey:acr:mfa  two factors: a password and a one-time code (TOTP or a recovery code),
//                         a password and a passkey, or a passkey verified with the person's PIN or
//                         biometrics (possession plus knowledge or inherence)
//   phr                   phishing-resistant (OpenID EAP ACR values): a passkey was used, with
//                         user verification; it also satisfies urn:latchkey:acr:mfa
export const ACR = {
  oneFactor: 'urn:latchkey:acr:1fa',
  multiFactor: 'urn:latchkey:acr:mfa',
  phishingResistant: 'phr',
} as const;

export type Acr = (typeof ACR)[keyof typeof ACR];

/** Every level, weakest first: what discovery lists as acr_values_supported. */
export const ACR_VALUES: readonly Acr[] = [ACR.oneFactor, ACR.multiFactor, ACR.phishingResistant];

const RANK: Readonly<Record<Acr, number>> = {
  [ACR.oneFactor]: 0,
  [ACR.multiFactor]: 1,
  [ACR.phishingResistant]: 2,
};

export const isAcr = (value: unknown): value is Acr =>
  typeof value === 'string' && Object.hasOwn(RANK, value);

/**
 * The level the methods reach. `amr` holds RFC 8176 values: `pwd`, `otp`, `mfa`, `hwk`/`swk` (a
 * passkey: device-bound or synced), `user` (presence), `pin`/`fpt` where known.
 */
export function acrOf(amr: readonly string[]): Acr {
  const passkey = amr.includes('hwk') || amr.includes('swk');
  if (passkey && amr.includes('mfa')) return ACR.phishingResistant;
  if (amr.includes('mfa')) return ACR.multiFactor;
  return ACR.oneFactor;
}

/** Whether a sign-in at level `acr` answers a request for any of `requested` (space-separated). */
export function satisfies(acr: string | undefined, requested: string | undefined): boolean {
  const asked = (requested ?? '').split(' ').filter(isAcr);
  if (asked.length === 0) return true;
  const have = isAcr(acr) ? RANK[acr] : 0;
  // acr_values lists acceptable levels in order of preference: the least of them is enough.
  return have >= Math.min(...asked.map((a) => RANK[a]));
}

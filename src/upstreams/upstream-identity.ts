// Who an upstream says signed in: produced by each upstream, stored by the account use cases.

/** Who the upstream says signed in, already mapped to our terms and trust policy. */
export interface UpstreamIdentity {
  /** The upstream's id (`google`, `facebook`, `x`). */
  upstream: string;
  /** The upstream's stable, never-reassigned identifier for the person. */
  subject: string;
  email: string | null;
  /** True only when the upstream asserts the email belongs to this person AND we trust it to. */
  emailVerified: boolean;
  name: string | null;
  picture: string | null;
  /** The handle the upstream shows for the person (X's username, without the @), if any. */
  username?: string | null;
}

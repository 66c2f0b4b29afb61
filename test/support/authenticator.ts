// A software WebAuthn authenticator for tests: P-256 keys, CBOR by hand, attestation 'none',
// authenticator data with its flags and signature counter, and the clientDataJSON a browser
// would write. Each part can be bent (origin, RP ID, flags, counter) to test the server's checks.
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';

type Cbor = number | string | Uint8Array | Cbor[] | Map<Cbor, Cbor> | { [key: string]: Cbor };

function head(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 0x100) return Buffer.from([(major << 5) | 24, length]);
  if (length < 0x10000) {
    const b = Buffer.alloc(3);
    b[0] = (major << 5) | 25;
    b.writeUInt16BE(length, 1);
    return b;
  }
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(length, 1);
  return b;
}

/** The CBOR subset WebAuthn needs: integers, text, bytes, arrays and maps. */
export function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') {
    return value >= 0 ? head(0, value) : head(1, -1 - value);
  }
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value]);
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map(cbor)]);
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
  return Buffer.concat([
    head(5, entries.length),
    ...entries.flatMap(([k, v]) => [cbor(k as Cbor), cbor(v as Cbor)]),
  ]);
}

const b64u = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

export const FLAGS = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40 } as const;

/** What a ceremony may bend: the origin and RP ID the browser claims, the flags, the type. */
export interface Bend {
  origin?: string;
  rpId?: string;
  challenge?: string;
  type?: string;
  userVerified?: boolean;
  userPresent?: boolean;
  backupEligible?: boolean;
  /** A counter to report instead of the next one. */
  counter?: number;
}

interface Credential {
  id: Buffer;
  privateKey: KeyObject;
  publicKey: KeyObject;
  rpId: string;
  userHandle: string;
  counter: number;
}

interface CreationOptions {
  challenge: string;
  rp: { id?: string };
  user: { id: string };
}

interface RequestOptions {
  challenge: string;
  rpId?: string;
  allowCredentials?: { id: string }[];
}

export interface AuthenticatorSettings {
  origin: string;
  /** BE and BS: a synced passkey (true) or one bound to this device (false). */
  backupEligible?: boolean;
  /** Whether it keeps a signature counter (false: always 0, like synced passkeys). */
  countsSignatures?: boolean;
}

export class SoftwareAuthenticator {
  readonly origin: string;
  readonly backupEligible: boolean;
  readonly countsSignatures: boolean;
  readonly credentials: Credential[] = [];

  constructor(settings: AuthenticatorSettings) {
    this.origin = settings.origin;
    this.backupEligible = settings.backupEligible ?? false;
    this.countsSignatures = settings.countsSignatures ?? true;
  }

  /** A copy holding the same keys and counters: what cloning an authenticator would give. */
  clone(): SoftwareAuthenticator {
    const copy = new SoftwareAuthenticator(this);
    for (const c of this.credentials) copy.credentials.push({ ...c });
    return copy;
  }

  #clientData(type: string, challenge: string, bend: Bend): Buffer {
    return Buffer.from(
      JSON.stringify({
        type: bend.type ?? type,
        challenge: bend.challenge ?? challenge,
        origin: bend.origin ?? this.origin,
        crossOrigin: false,
      }),
    );
  }

  #flags(bend: Bend, extra = 0): number {
    const be = bend.backupEligible ?? this.backupEligible;
    return (
      ((bend.userPresent ?? true) ? FLAGS.UP : 0) |
      ((bend.userVerified ?? true) ? FLAGS.UV : 0) |
      (be ? FLAGS.BE | FLAGS.BS : 0) |
      extra
    );
  }

  #counter(credential: Credential, bend: Bend): Buffer {
    if (bend.counter === undefined && this.countsSignatures) credential.counter += 1;
    const value = bend.counter ?? (this.countsSignatures ? credential.counter : 0);
    const b = Buffer.alloc(4);
    b.writeUInt32BE(value);
    return b;
  }

  /** navigator.credentials.create with these options, as the browser helper returns it. */
  register(options: CreationOptions, bend: Bend = {}) {
    const rpId = options.rp.id ?? new URL(this.origin).hostname;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const credential: Credential = {
      id: randomBytes(32),
      privateKey,
      publicKey,
      rpId,
      userHandle: options.user.id,
      counter: 0,
    };
    const coseKey = cbor(
      new Map<Cbor, Cbor>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x as string, 'base64url')],
        [-3, Buffer.from(jwk.y as string, 'base64url')],
      ]),
    );
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credential.id.length);
    const authData = Buffer.concat([
      sha256(bend.rpId ?? rpId),
      Buffer.from([this.#flags(bend, FLAGS.AT)]),
      this.#counter(credential, bend),
      Buffer.alloc(16), // AAGUID: none given with attestation 'none'
      idLength,
      credential.id,
      coseKey,
    ]);
    const clientDataJSON = this.#clientData('webauthn.create', options.challenge, bend);
    this.credentials.push(credential);
    return {
      id: b64u(credential.id),
      rawId: b64u(credential.id),
      type: 'public-key',
      response: {
        clientDataJSON: b64u(clientDataJSON),
        attestationObject: b64u(cbor({ fmt: 'none', attStmt: {}, authData })),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** navigator.credentials.get: signs with the first credential for the RP (or one allowed). */
  assert(options: RequestOptions, bend: Bend = {}, credentialIndex?: number) {
    const rpId = options.rpId ?? new URL(this.origin).hostname;
    const allowed = new Set((options.allowCredentials ?? []).map((c) => c.id));
    const usable = this.credentials.filter(
      (c) => c.rpId === rpId && (allowed.size === 0 || allowed.has(b64u(c.id))),
    );
    const credential =
      credentialIndex === undefined ? usable[0] : this.credentials[credentialIndex];
    if (!credential) throw new Error(`no credential for ${rpId}`);
    const authData = Buffer.concat([
      sha256(bend.rpId ?? rpId),
      Buffer.from([this.#flags(bend)]),
      this.#counter(credential, bend),
    ]);
    const clientDataJSON = this.#clientData('webauthn.get', options.challenge, bend);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), {
      key: credential.privateKey,
      dsaEncoding: 'der',
    });
    return {
      id: b64u(credential.id),
      rawId: b64u(credential.id),
      type: 'public-key',
      response: {
        clientDataJSON: b64u(clientDataJSON),
        authenticatorData: b64u(authData),
        signature: b64u(signature),
        userHandle: credential.userHandle,
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }
}

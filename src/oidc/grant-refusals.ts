// Says in a token refusal's error_description why a code or refresh token was refused: the library
// keeps that reason in error_detail and answers every invalid_grant with one generic sentence.
import type { KoaContextWithOIDC } from 'oidc-provider';
import { type MessageKey, t } from '../i18n/t.ts';

const REASONS: Readonly<Record<string, MessageKey>> = {
  'authorization code is expired': 'token.code_expired',
  'authorization code already consumed': 'token.code_used',
  'authorization code not found': 'token.code_unknown',
  'refresh token is expired': 'token.refresh_expired',
  'refresh token already used': 'token.refresh_used',
  'refresh token not found': 'token.refresh_unknown',
};

/**
 * Called from the grant.error event, which the library emits after it has set the JSON answer;
 * rewrites that answer's error_description when the refusal has a reason worth naming.
 */
export function describeGrantRefusal(
  ctx: KoaContextWithOIDC,
  error: { error?: string; error_detail?: string },
): void {
  const key = error.error_detail === undefined ? undefined : REASONS[error.error_detail];
  const body = ctx.body as { error?: unknown } | undefined;
  if (key === undefined || body === undefined || body === null || typeof body !== 'object') return;
  if (body.error !== 'invalid_grant') return;
  ctx.body = { ...body, error_description: t(key) };
}

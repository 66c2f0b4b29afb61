// Where the event being recorded comes from: the HTTP edge (or the CLI) opens a scope with the
// actor, client address, User-Agent and request id, so use cases record events without knowing
// about requests. Outside any scope the actor is Latchkey itself.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AuditActor } from './audit-log.ts';

export interface AuditContext {
  readonly actor: AuditActor;
  readonly source?: string | undefined;
  readonly userAgent?: string | undefined;
  readonly requestId?: string | undefined;
  /** The application the request is about, once known (set by noteAuditClient). */
  clientId?: string | undefined;
  /** The operator's login name, for events recorded by the CLI. */
  readonly operator?: string | undefined;
}

const scopes = new AsyncLocalStorage<AuditContext>();

export function withAuditContext<T>(context: AuditContext, work: () => T): T {
  return scopes.run(context, work);
}

export function currentAuditContext(): AuditContext | undefined {
  return scopes.getStore();
}

/** Once a request turns out to be about an application (an interaction), its events name it. */
export function noteAuditClient(clientId: unknown): void {
  const scope = scopes.getStore();
  if (scope && typeof clientId === 'string' && clientId !== '') scope.clientId = clientId;
}

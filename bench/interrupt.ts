// Interruption: the first Ctrl-C stops the workers and cleans up; a second one exits at once.

/** Thrown where the run notices it was interrupted. */
export class Interrupted extends Error {}

export const interrupt = new AbortController();
/** What the run has created and not yet removed, with what can still be undone synchronously. */
export const leftovers = new Map<string, (() => void) | undefined>();

export function reportLeftovers(): void {
  if (leftovers.size > 0) console.error(`left behind:\n  ${[...leftovers.keys()].join('\n  ')}`);
}

function onSignal(signal: NodeJS.Signals) {
  if (!interrupt.signal.aborted) {
    console.error(`\n${signal}: stopping and cleaning up (repeat to exit at once)`);
    interrupt.abort();
    return;
  }
  // No time to wait for Postgres or Redis, but the server and the files can still go.
  for (const [what, undo] of leftovers) {
    try {
      undo?.();
      if (undo) leftovers.delete(what);
    } catch {
      // Reported below as left behind.
    }
  }
  reportLeftovers();
  process.exit(130);
}
/** From now on SIGINT and SIGTERM interrupt the run instead of killing it. */
export function stopOnSignals(): void {
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

export function checkInterrupted(): void {
  if (interrupt.signal.aborted) throw new Interrupted('interrupted');
}

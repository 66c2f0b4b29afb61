// A logger whose JSON lines are kept in memory, for tests that read what was logged.
import { Writable } from 'node:stream';
import type { LogLevel } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';

export function capturingLogger(level: LogLevel = 'info') {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { lines, logger: createLogger(level, sink) };
}

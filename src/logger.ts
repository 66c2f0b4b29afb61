// Structured JSON logs (pino); secrets are redacted by path before anything is written.
import { type DestinationStream, type Logger, pino } from 'pino';
import type { LogLevel } from './config.ts';

export type { Logger };

const REDACT = [
  'password',
  '*.password',
  'secret',
  '*.secret',
  'client_secret',
  '*.client_secret',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'jwk',
  '*.jwk',
  'privateJwk',
  '*.privateJwk',
  'keys',
  '*.keys',
];

/**
 * `fields` adds to every line what holds where it is written: the trace and span ids when tracing
 * is on (tracing/tracing.ts).
 */
export function createLogger(
  level: LogLevel,
  destination?: DestinationStream,
  fields?: () => Record<string, string>,
): Logger {
  return pino(
    {
      level,
      ...(fields ? { mixin: fields } : {}),
      base: { service: 'latchkey' },
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT, censor: '[redacted]' },
    },
    destination,
  );
}

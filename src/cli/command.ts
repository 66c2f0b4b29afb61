// What every operator command is, the failures a command may end with, and option parsing.
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import type { Config } from '../config.ts';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;
/** EX_CONFIG from sysexits.h: the environment or the clients file is wrong. */
export const EXIT_CONFIG = 78;

/** The command line is wrong: explained, followed by the usage, exit 2. */
export class UsageError extends Error {}

/** An expected failure, explained in one line: exit 1. */
export class CommandFailed extends Error {}

/** Ctrl-C or Ctrl-D at a password prompt. */
export class Interrupted extends Error {}

export interface Command {
  /** One line: the command and its options. */
  usage: string;
  summary: string;
  /** Checks the options (before any configuration is read) and returns the work to do. */
  parse(args: string[]): (config: Config) => Promise<void>;
}

export function options<T extends ParseArgsOptionsConfig>(args: string[], spec: T) {
  return parseArgs({ args, options: spec, strict: true, allowPositionals: false }).values;
}

export function required(value: string | undefined, flag: string): string {
  if (value === undefined) throw new UsageError(`${flag} is required.`);
  return value;
}

/** A command that takes no options. */
export function withoutOptions(
  usage: string,
  summary: string,
  work: (config: Config) => Promise<void>,
): Command {
  return {
    usage,
    summary,
    parse(args) {
      options(args, {});
      return work;
    },
  };
}

export function errorMessage(error: unknown): string {
  if (error instanceof AggregateError && error.message === '') {
    return error.errors.map(errorMessage).join('; ');
  }
  return error instanceof Error ? error.message : String(error);
}

/** Errors from the system, Postgres or the ORM carry a code and need no stack trace. */
export function isOperational(error: unknown): boolean {
  const candidate = error as { code?: unknown; driverError?: unknown } | null;
  return typeof candidate?.code === 'string' || candidate?.driverError !== undefined;
}

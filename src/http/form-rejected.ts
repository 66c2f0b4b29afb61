// A form that shows itself again with the reason it was refused: routes throw, the edge answers
// (status, Retry-After, log line) and hands the words to the page. Routes need no catch blocks.
import type { MessageKey, Params } from '../i18n/t.ts';
import { codeOf } from './map-error.ts';

/** What a page needs to show itself again. */
export interface Rejection {
  status: number;
  /** The refusal's code (`too_many_attempts`, `upstream_denied`): where a page places it. */
  code: string;
  title: string;
  message: string;
  /** Messages by field, when the refusal is about particular fields. */
  fields?: Readonly<Record<string, string>>;
}

export type ShowAgain = (rejection: Rejection) => Promise<void> | void;

/** How one expected error reads on a form: its own words, and whether it belongs to one field. */
export interface ShownAs {
  key?: MessageKey;
  field?: string;
}

/** The errors a form expects, by code (`codeOf`); any other error reaches the error page. */
export type Expected = Readonly<Record<string, ShownAs>>;

export type Reason =
  /** An expected error thrown by the domain or an upstream. */
  | { error: unknown; as: ShownAs; params?: Params }
  /** The route's own reason (a field left empty), answered with `code` or invalid_request. */
  | { status: number; key: MessageKey; params?: Params; code?: string };

export class FormRejected extends Error {
  readonly show: ShowAgain;
  readonly reason: Reason;

  constructor(show: ShowAgain, reason: Reason) {
    super('form rejected');
    this.name = 'FormRejected';
    this.show = show;
    this.reason = reason;
  }
}

/**
 * Runs `action`; an error whose code is in `expected` shows the form again (through `show`)
 * instead of an error page. `params` fill in the words (e.g. the upstream's display name).
 */
export async function onForm<T>(
  show: ShowAgain,
  expected: Expected,
  action: () => Promise<T>,
  params?: Params,
): Promise<T> {
  try {
    return await action();
  } catch (error) {
    const code = codeOf(error);
    const as = code !== undefined && Object.hasOwn(expected, code) ? expected[code] : undefined;
    if (as) throw new FormRejected(show, { error, as, ...(params ? { params } : {}) });
    throw error;
  }
}

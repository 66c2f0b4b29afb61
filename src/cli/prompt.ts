// New passwords for commands: typed twice at a hidden prompt, or the first line of stdin.
import { createInterface } from 'node:readline';
import { CommandFailed, Interrupted, UsageError } from './command.ts';

/** Reads one line from the terminal without echoing it. */
function promptHidden(prompt: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    // Arrow and function keys send escape sequences (ESC [ ... final letter); they are skipped.
    let escapeState: 'none' | 'started' | 'csi' = 'none';
    const finish = () => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (escapeState === 'started') {
          escapeState = char === '[' || char === 'O' ? 'csi' : 'none';
          continue;
        }
        if (escapeState === 'csi') {
          if (char >= '@' && char <= '~') escapeState = 'none';
          continue;
        }
        if (char === '\r' || char === '\n') {
          finish();
          resolve(typed);
          return;
        }
        if (char === '\u0003' || (char === '\u0004' && typed === '')) {
          finish();
          reject(new Interrupted());
          return;
        }
        if (char === '\u001b') escapeState = 'started';
        else if (char === '\u007f' || char === '\b') typed = [...typed].slice(0, -1).join('');
        else if (char === '\u0015') typed = '';
        else if (char >= ' ') typed += char;
      }
    };
    input.setEncoding('utf8');
    input.setRawMode(true);
    input.on('data', onData);
    input.resume();
  });
}

async function readFirstLine(): Promise<string | undefined> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  for await (const line of lines) return line;
  return undefined;
}

export type PasswordSource = 'stdin' | 'prompt';

/**
 * Where the new password will come from: a terminal on stdin is always prompted (even with
 * --password-stdin, so the password is never echoed); otherwise stdin needs --password-stdin.
 */
export function passwordSource(fromStdin: boolean): PasswordSource {
  if (process.stdin.isTTY) return 'prompt';
  if (fromStdin) return 'stdin';
  throw new UsageError(
    'No password given: pipe it with --password-stdin, run the command in a terminal to be prompted, or pass --no-password (accounts:create only).',
  );
}

/** The first line of stdin, or the password typed twice at a hidden prompt. */
export async function readNewPassword(source: PasswordSource): Promise<string> {
  if (source === 'prompt') {
    const first = await promptHidden('New password: ');
    const second = await promptHidden('Repeat the password: ');
    if (first !== second) throw new CommandFailed('The two passwords do not match.');
    return first;
  }
  const line = await readFirstLine();
  if (line === undefined || line === '') {
    throw new CommandFailed('--password-stdin: stdin held no password.');
  }
  return line;
}

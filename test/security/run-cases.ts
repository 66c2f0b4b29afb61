// Runs security cases by name (test/security/cases/<name>.ts) and prints the lines each returns:
//   node test/security/run-cases.ts throttle hashing
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const names = process.argv.slice(2);
if (names.length === 0) {
  process.stderr.write('usage: node test/security/run-cases.ts <case> [<case> ...]\n');
  process.exit(2);
}
for (const name of names) {
  const module = (await import(path.join(here, 'cases', `${name}.ts`))) as {
    default: () => Promise<string[]>;
  };
  process.stdout.write(`${name}\n`);
  for (const line of await module.default()) process.stdout.write(`  ${line}\n`);
}

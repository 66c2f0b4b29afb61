// What the password rules cost per sign-up, measured in this process: building the list of
// common passwords once (loading the package and building the set: time and heap), then one check of a new password with the person's email
// and name (list lookups and the personal-piece comparison), against bcrypt's cost for scale.
//
// Usage
//   node --expose-gc bench/password-check-cost.ts [--n 20000]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import bcrypt from 'bcrypt';

const { values } = parseArgs({ options: { n: { type: 'string', default: '20000' } } });
const n = Number(values.n);
const gc = (globalThis as { gc?: () => void }).gc;

gc?.();
const heapBefore = process.memoryUsage().heapUsed;
const started = performance.now();
// Imported here so the heap and time include loading the maintained list itself.
const { commonPasswords } = await import('../src/accounts/common-passwords.ts');
const size = commonPasswords().size;
const buildMs = performance.now() - started;
gc?.();
const heapAfter = process.memoryUsage().heapUsed;

const { passwordProblem } = await import('../src/accounts/passwords.ts');
const passwords = Array.from({ length: n }, () => `${randomBytes(9).toString('base64url')} words`);
const before = process.cpuUsage();
let refused = 0;
for (const [i, password] of passwords.entries()) {
  if (passwordProblem(password, `person.${i}@example.com`, `Person Number ${i}`)) refused += 1;
}
const used = process.cpuUsage(before);
const checkUs = (used.user + used.system) / n;

const bcryptStarted = performance.now();
await bcrypt.hash('a passphrase of some length', 10);
const bcryptMs = performance.now() - bcryptStarted;

console.log(
  JSON.stringify(
    {
      listEntries: size,
      listBuildMs: Number(buildMs.toFixed(1)),
      listHeapMiB: gc
        ? Number(((heapAfter - heapBefore) / 2 ** 20).toFixed(1))
        : 'run with --expose-gc',
      checkMicrosecondsPerSignUp: Number(checkUs.toFixed(2)),
      bcryptCost10Ms: Number(bcryptMs.toFixed(1)),
      refusedOfRandom: refused,
    },
    null,
    2,
  ),
);

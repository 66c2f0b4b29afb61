// Run inside the idp image (its code, not a mounted copy): right user, bcrypt's native binary
// loads, no test files. scripts/test-docker.sh pipes it in:
//   docker run --rm -i --entrypoint node latchkey:test --input-type=module - < scripts/check-image.ts
// It is plain JavaScript so that node can run it from stdin without type stripping.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

// From stdin there is no file to resolve from: resolve from the app's own directory.
const require = createRequire(`${process.cwd()}/`);
const bcrypt = require('bcrypt');
const problems = [];
if (!bcrypt.compareSync('x', bcrypt.hashSync('x', 4))) problems.push('bcrypt does not verify');
if (process.getuid?.() === 0) problems.push('runs as root');
if (existsSync('test') || existsSync('node_modules/mocha'))
  problems.push('test files in the image');
if (problems.length > 0) {
  console.error(`image: ${problems.join('; ')}`);
  process.exit(1);
}
process.stdout.write(
  `image: user ${process.getuid?.()} on ${process.platform}-${process.arch}, node ${process.version}, bcrypt ok\n`,
);

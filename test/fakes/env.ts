// Writes where the fake upstreams are, for Latchkey, into the env files the compose stacks and
// scripts/run.sh read: node test/fakes/env.ts (test/fakes/env.test.ts fails while one is stale).
//   docker/fakes-demo.env: the fakes on 127.0.0.1 (make run FAKES=1, with or without Docker)
//   docker/fakes-test.env: the fakes reached by the compose service name "fakes" (make test-docker)
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fakeEndpointsEnv } from './all.ts';

export const FAKES_ENV_FILES = {
  'docker/fakes-demo.env': '127.0.0.1',
  'docker/fakes-test.env': 'fakes',
} as const;

export function fakesEnvFile(host: string): string {
  const lines = Object.entries(fakeEndpointsEnv(host)).map(([name, value]) => `${name}=${value}`);
  return [
    '# Written by `node test/fakes/env.ts` from each fake in test/fakes/all.ts: do not edit.',
    ...lines,
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = new URL('../../', import.meta.url);
  for (const [file, host] of Object.entries(FAKES_ENV_FILES)) {
    writeFileSync(new URL(file, root), fakesEnvFile(host));
    console.log(`wrote ${file}`);
  }
}

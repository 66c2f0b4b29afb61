import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { FAKES_ENV_FILES, fakesEnvFile } from './env.ts';

describe('the fakes env files', () => {
  for (const [file, host] of Object.entries(FAKES_ENV_FILES)) {
    it(`${file} says where each fake is on ${host} (regenerate: node test/fakes/env.ts)`, () => {
      const committed = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
      expect(committed).to.equal(fakesEnvFile(host));
    });
  }
});

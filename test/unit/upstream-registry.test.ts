// Every upstream in the registry reads and checks its own settings, and has a fake to test against.
import { expect } from 'chai';
import { loadConfig } from '../../src/config.ts';
import { createUpstreams, UPSTREAMS, upstreamOrigins } from '../../src/upstreams/registry.ts';
import { ALL_FAKES } from '../fakes/all.ts';
import type { FakeUpstream } from '../fakes/shared.ts';
import { configProblems } from '../support/config.ts';

const problemsOf = configProblems;

const fakeFor = (id: string): FakeUpstream => {
  const fake = ALL_FAKES.find((f) => f.id === id);
  if (!fake) throw new Error(`no fake for the upstream ${id}`);
  return fake;
};

describe('the upstream registry', () => {
  it('has one fake per upstream, in the same order', () => {
    expect(ALL_FAKES.map((f) => f.id)).to.deep.equal(UPSTREAMS.map((u) => u.id));
    expect(ALL_FAKES.map((f) => f.envPrefix)).to.deep.equal(UPSTREAMS.map((u) => u.envPrefix));
  });

  for (const upstream of UPSTREAMS) {
    describe(upstream.name, () => {
      const prefix = upstream.envPrefix;
      const credentials = { clientId: `${upstream.id}-id`, clientSecret: `${upstream.id}-secret` };
      const fakeEnv = fakeFor(upstream.id).env('http://127.0.0.1:4999', credentials);
      const settingNames = Object.keys(fakeEnv).filter(
        (name) => name !== `${prefix}_CLIENT_ID` && name !== `${prefix}_CLIENT_SECRET`,
      );

      it('stays off without credentials and reports either half alone', () => {
        expect(loadConfig({}).upstreams).to.not.have.property(upstream.id);
        expect(problemsOf({ [`${prefix}_CLIENT_ID`]: 'id' })).to.deep.equal([
          `${prefix}_CLIENT_ID is set without ${prefix}_CLIENT_SECRET`,
        ]);
        expect(problemsOf({ [`${prefix}_CLIENT_SECRET`]: 'secret' })).to.deep.equal([
          `${prefix}_CLIENT_SECRET is set without ${prefix}_CLIENT_ID`,
        ]);
      });

      it('reads the settings its fake gives and is created from them', () => {
        const config = loadConfig(fakeEnv);
        const settings = (config.upstreams as Record<string, unknown>)[upstream.id];
        expect(settings).to.include(credentials);
        const created = createUpstreams(config.upstreams, { timeoutMs: 1000 }).get(upstream.id);
        expect(created?.id).to.equal(upstream.id);
        expect(created?.name).to.equal(upstream.name);
        expect(upstreamOrigins(config.upstreams)).to.include('http://127.0.0.1:4999');
      });

      it('has endpoint settings with defaults, so credentials alone turn it on', () => {
        const config = loadConfig({
          [`${prefix}_CLIENT_ID`]: 'id',
          [`${prefix}_CLIENT_SECRET`]: 'secret',
        });
        const origins = upstreamOrigins(config.upstreams);
        expect(origins).to.have.length.greaterThan(0);
        for (const origin of origins) expect(origin).to.match(/^https:\/\//);
      });

      for (const name of settingNames) {
        it(`reports a bad ${name}, all at once with other problems`, () => {
          expect(problemsOf({ ...fakeEnv, [name]: 'not a url', PORT: 'x' })).to.include.members([
            `${name} must be an absolute https URL`,
            'PORT must be an integer from 0 to 65535 (got "x")',
          ]);
          const plain = fakeEnv[name]?.replace('127.0.0.1', 'upstream.example') ?? '';
          expect(problemsOf({ ...fakeEnv, [name]: plain })).to.include(
            `${name} must use https (plain http is accepted only for loopback hosts)`,
          );
          expect(problemsOf({ ...fakeEnv, [name]: plain, ALLOW_INSECURE_UPSTREAMS: 'true' })).to.be
            .empty;
        });
      }
    });
  }
});

// docs/postman run with newman's library against a server with the compose stack's clients and APIs
// (docker/clients.json, docker/resource-servers.json), as `npm run postman` runs against `make run`.
// The browserless folder runs as CI runs it; in the browser folders this test plays the person.
import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import newman, { type NewmanRunSummary } from 'newman';
import { Browser } from '../support/browser.ts';
import { enterCode, pressOnConfirmPage } from '../support/device.ts';
import { callbackOf, pageOf, person, signUp, signUpOnAccountPage, visit } from '../support/oidc.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const COLLECTION = 'docs/postman/latchkey.postman_collection.json';
const ENVIRONMENT = 'docs/postman/latchkey.postman_environment.json';
const CI_FOLDER = 'Without a browser';
const POSTMAN_CALLBACK = 'https://oauth.pstmn.io/v1/callback';

interface Item {
  name: string;
  item?: Item[];
  request?: { url: string; auth?: { type: string } };
  event?: { listen: string; script: { exec: string[] } }[];
}
interface EnvironmentFile {
  values: { key: string; value: string; enabled: boolean }[];
}
type Vars = Record<string, string>;

const readJson = async <T>(file: string) => JSON.parse(await readFile(file, 'utf8')) as T;

/** Every request of an item tree, with the folder names above it. */
function requests(items: Item[], above: string[] = []): { item: Item; path: string[] }[] {
  return items.flatMap((item) =>
    item.item ? requests(item.item, [...above, item.name]) : [{ item, path: above }],
  );
}

function run(folder: string | string[], env: Vars): Promise<NewmanRunSummary> {
  return new Promise((resolve, reject) => {
    newman.run(
      {
        collection: COLLECTION,
        environment: ENVIRONMENT,
        folder,
        envVar: Object.entries(env).map(([key, value]) => ({ key, value })),
        reporters: [],
        timeoutRequest: 15_000,
      },
      (error, summary) => (error ? reject(error) : resolve(summary)),
    );
  });
}

/** What failed, one line each, for the assertion message. */
function failures(summary: NewmanRunSummary): string {
  return summary.run.failures
    .map((f) => `${f.source?.name ?? '?'}: ${f.error.name} ${f.error.message}`)
    .join('\n');
}

/** The environment as the run left it (the scripts set tokens and codes in it). */
function finalEnvironment(summary: NewmanRunSummary): Vars {
  return summary.environment.toObject(false, false) as Vars;
}

describe('the Postman collection (docs/postman)', () => {
  let server: TestServer;
  let collection: { info: { schema: string }; item: Item[] };
  let environment: EnvironmentFile;

  before(async () => {
    collection = await readJson(COLLECTION);
    environment = await readJson(ENVIRONMENT);
    server = await startTestServer({
      clients: await readJson<unknown[]>('docker/clients.json'),
      resourceServers: await readJson<unknown[]>('docker/resource-servers.json'),
    });
  });
  after(async () => {
    await server?.stop();
  });

  it('is a v2.1 collection whose every request has tests, every variable known', () => {
    expect(collection.info.schema).to.equal(
      'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
    );
    const all = requests(collection.item);
    expect(all.length).to.be.greaterThan(25);
    const source = JSON.stringify(collection);
    const set = new Set(
      [...source.matchAll(/pm\.environment\.set\('([a-z_]+)'/g)].map((m) => m[1]),
    );
    const given = new Set(environment.values.map((v) => v.key));
    for (const { item, path } of all) {
      const name = [...path, item.name].join(' / ');
      const test = item.event?.find((e) => e.listen === 'test')?.script.exec.join('\n') ?? '';
      expect(test, name).to.include('pm.test(');
      for (const [, variable] of JSON.stringify(item).matchAll(/\{\{([A-Za-z_$]+)\}\}/g)) {
        if (variable?.startsWith('$')) continue;
        expect(
          given.has(variable as string) || set.has(variable),
          `${name}: {{${variable}}}`,
        ).to.equal(true);
      }
    }
  });

  it("names clients of the compose stack's clients file, the Postman client with Postman's callback", async () => {
    const clients = await readJson<Record<string, unknown>[]>('docker/clients.json');
    const env = Object.fromEntries(environment.values.map((v) => [v.key, v.value]));
    const byId = (id: string | undefined) => clients.find((c) => c.client_id === id);
    const postman = byId(env.postman_client_id);
    expect(postman?.redirect_uris).to.deep.equal([POSTMAN_CALLBACK]);
    expect(postman?.token_endpoint_auth_method).to.equal('none');
    expect(byId(env.device_client_id)?.grant_types).to.include(
      'urn:ietf:params:oauth:grant-type:device_code',
    );
    const machine = byId(env.machine_client_id);
    expect(machine?.client_secret).to.equal(env.machine_client_secret);
    expect(machine?.resources).to.deep.equal({
      [env.machine_resource as string]: [env.machine_scope],
    });
  });

  it(`passes every test of the folder CI runs ("${CI_FOLDER}")`, async () => {
    const summary = await run(CI_FOLDER, { base_url: server.issuer });
    expect(summary.run.failures, failures(summary)).to.deep.equal([]);
    const folder = requests([collection.item.find((i) => i.name === CI_FOLDER) as Item]);
    expect(summary.run.executions.length).to.equal(folder.length);
    // Every pm.test of the folder ran (none was skipped by a script failing before it).
    const written = JSON.stringify(folder).match(/pm\.test\(/g)?.length ?? 0;
    expect(summary.run.stats.assertions.total).to.equal(written);
    expect(summary.run.stats.assertions.failed).to.equal(0);
  });

  it('passes the step-by-step sign-in, a person signing in where it sends them', async () => {
    const start = await run('1. Authorization request', { base_url: server.issuer });
    expect(start.run.failures, failures(start)).to.deep.equal([]);
    const env = finalEnvironment(start);
    expect(env.authorization_url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/authorize\?/);

    const browser = new Browser(server.issuer);
    const login = pageOf(await visit(browser, env.authorization_url as string));
    const callback = callbackOf(await signUp(browser, login, person('postman')));
    expect(`${callback.origin}${callback.pathname}`).to.equal(POSTMAN_CALLBACK);
    expect(callback.searchParams.get('state')).to.equal(env.state);

    const steps = requests(collection.item)
      .filter(({ path }) => path.at(-1) === 'Step by step')
      .map(({ item }) => item.name)
      .slice(1);
    const rest = await run(steps, {
      ...env,
      base_url: server.issuer,
      authorization_code: callback.searchParams.get('code') as string,
    });
    expect(rest.run.failures, failures(rest)).to.deep.equal([]);
    expect(rest.run.executions.map((e) => e.item.name)).to.deep.equal(steps);
    expect(rest.run.stats.assertions.total).to.be.at.least(steps.length);
  });

  it('passes the device sign-in, a person approving the code in a browser', async () => {
    const start = await run('1. Ask for a code', { base_url: server.issuer });
    expect(start.run.failures, failures(start)).to.deep.equal([]);
    const env = finalEnvironment(start);
    const { browser } = await signUpOnAccountPage(server.issuer, 'postman-tv');
    const confirm = await enterCode(browser, env.user_code as string);
    expect((await pressOnConfirmPage(browser, confirm.data, 'confirm')).status).to.equal(200);

    const rest = await run(['2. Poll for the tokens', "3. Refresh the device's tokens"], {
      ...env,
      base_url: server.issuer,
    });
    expect(rest.run.failures, failures(rest)).to.deep.equal([]);
    expect(rest.run.executions).to.have.length(2);
  });
});

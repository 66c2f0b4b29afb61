// Starts the server as its own process, runs the black-box client against it in another, then
// checks the server stopped cleanly and printed no library warnings.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startMailCatcher } from '../support/mail-catcher.ts';
import { freePort, ROOT, startServerProcess } from '../support/process.ts';
import { dropNamespace, serverEnv, uniqueNamespace } from '../support/server.ts';
import { startUpstreams } from '../support/upstreams.ts';

const namespace = uniqueNamespace('e2e');
const dir = await mkdtemp(path.join(tmpdir(), 'latchkey-e2e-'));
const secret = () => randomBytes(32).toString('base64url');
// The APIs of test/e2e/resource-servers.json, which the first application may ask for.
const resourceServersFile = path.join(ROOT, 'test/e2e/resource-servers.json');
const E2E_RESOURCES = {
  'https://orders.e2e.example': ['orders:read', 'orders:write'],
  'https://billing.e2e.example': ['billing:read'],
};
const clients = [
  {
    client_id: 'e2e-web',
    client_secret: secret(),
    client_name: 'E2E Web',
    redirect_uris: ['http://127.0.0.1:7001/callback'],
    first_party: true,
    resources: E2E_RESOURCES,
  },
  {
    client_id: 'e2e-second',
    client_secret: secret(),
    client_name: 'E2E Second App',
    redirect_uris: ['http://127.0.0.1:7002/callback'],
    first_party: true,
  },
];
// The device app of the TV story, and where its back-channel logout receiver listens.
const receiverPort = await freePort();
const tv = {
  client_id: 'e2e-tv',
  client_name: 'E2E TV',
  token_endpoint_auth_method: 'none',
  grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
  response_types: [],
  first_party: true,
  backchannel_logout_uri: `http://127.0.0.1:${receiverPort}/backchannel-logout`,
};
const clientsFile = path.join(dir, 'clients.json');
await writeFile(clientsFile, JSON.stringify([...clients, tv]));

let code = 1;
// The fakes of Google, Facebook and X answer with their interactive pages, as for a person.
const upstreams = await startUpstreams();
// Production requires a mail relay: the server sends its mail here.
const mail = await startMailCatcher({ http: true });
const port = await freePort();
const issuer = `http://127.0.0.1:${port}`;
upstreams.register(issuer);
const server = await startServerProcess(
  serverEnv({
    namespace,
    production: true,
    port,
    issuer,
    clientsFile,
    smtpUrl: mail.url,
    // The TV's logout receiver is on loopback, which back-channel delivery refuses by default.
    extra: {
      ...upstreams.env,
      BACKCHANNEL_ALLOW_PRIVATE_NETWORK: 'true',
      RESOURCE_SERVERS_FILE: resourceServersFile,
    },
  }),
);
try {
  const [a, b] = clients as [(typeof clients)[0], (typeof clients)[0]];
  const mocha = spawn(
    process.execPath,
    [path.join(ROOT, 'node_modules/mocha/bin/mocha.js'), 'test/e2e/client.test.ts'],
    {
      cwd: ROOT,
      stdio: 'inherit',
      env: {
        PATH: process.env.PATH ?? '',
        ISSUER: server.issuer,
        E2E_CLIENT_ID: a.client_id,
        E2E_CLIENT_SECRET: a.client_secret,
        E2E_REDIRECT_URI: a.redirect_uris[0] as string,
        E2E_SECOND_CLIENT_ID: b.client_id,
        E2E_SECOND_CLIENT_SECRET: b.client_secret,
        E2E_SECOND_REDIRECT_URI: b.redirect_uris[0] as string,
        E2E_UPSTREAMS: 'google,facebook,x',
        E2E_TV_CLIENT_ID: tv.client_id,
        E2E_BACKCHANNEL_LISTEN: `127.0.0.1:${receiverPort}`,
        // The client reads the mail the server sent through MailDev's API, as in compose.
        E2E_MAIL_API: mail.apiUrl as string,
      },
    },
  );
  code = await new Promise<number>((resolve) => mocha.once('exit', (c) => resolve(c ?? 1)));
} finally {
  const exit = await server.stop();
  const output = [...server.stdout, ...server.stderr];
  const warnings = output.filter((l) => /oidc-provider (WARNING|NOTICE)/.test(l));
  if (warnings.length > 0) {
    console.error(`server printed library warnings:\n${warnings.join('\n')}`);
    code = code || 1;
  }
  if (exit !== 0) {
    console.error(`server exited with ${exit}:\n${output.slice(-20).join('\n')}`);
    code = code || 1;
  }
  await upstreams.close();
  await mail.stop();
  await dropNamespace(namespace);
  await rm(dir, { recursive: true, force: true });
}
process.exitCode = code;

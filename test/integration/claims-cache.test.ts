// The claims of tokens and userinfo come from a short-lived profile cache; a change to an account
// reaches userinfo at once, on the instance that made it and on every other one.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import { expect } from 'chai';
import pg from 'pg';
import { createApp, type LatchkeyApp } from '../../src/app.ts';
import { connect, type Resources } from '../../src/boot.ts';
import { capturingLogger } from '../support/captured-logs.ts';
import { signUpAndAuthorize } from '../support/oidc.ts';
import { TEST_CLIENTS, useServer } from '../support/server.ts';

describe('claims of tokens and userinfo', () => {
  const server = useServer();
  const http = axios.create({ validateStatus: () => true });

  /** A second instance on the same Postgres and Redis, with the same issuer (as behind a balancer). */
  let other: { url: string; latchkey: LatchkeyApp; resources: Resources; http: Server };
  before(async () => {
    const { logger } = capturingLogger('warn');
    const resources = await connect(server.config, logger);
    const latchkey = createApp({ config: server.config, logger, ...resources });
    const listener = createServer(latchkey.handle);
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const { port } = listener.address() as AddressInfo;
    other = { url: `http://127.0.0.1:${port}`, latchkey, resources, http: listener };
  });
  after(async () => {
    other.http.closeAllConnections();
    await new Promise<void>((resolve) => other.http.close(() => resolve()));
    await other.latchkey.mailer.close(1000);
    await other.resources.close();
  });

  const userinfo = async (base: string, token: string) => {
    const res = await http.get(`${base}/userinfo`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status, JSON.stringify(res.data)).to.equal(200);
    return res.data as { sub: string; name?: string };
  };

  /** What userinfo says on `base` once it says `name`, or after a second, whatever it says. */
  async function nameSoon(base: string, token: string, name: string): Promise<string | undefined> {
    const deadline = Date.now() + 1000;
    for (;;) {
      const said = (await userinfo(base, token)).name;
      if (said === name || Date.now() > deadline) return said;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('follow a name change at once, on this instance and on another one', async () => {
    const { tokens, person } = await signUpAndAuthorize(server.issuer, TEST_CLIENTS.firstParty, {
      scope: 'openid profile',
    });
    const token = tokens.access_token;
    const sub = tokens.claims()?.sub as string;
    // Both instances read the profile once and keep it.
    expect((await userinfo(server.issuer, token)).name).to.equal(person.name);
    expect((await userinfo(other.url, token)).name).to.equal(person.name);

    await server.latchkey.accounts.updateProfile(sub, { name: 'Renamed Here' });
    expect((await userinfo(server.issuer, token)).name).to.equal('Renamed Here');
    expect(await nameSoon(other.url, token, 'Renamed Here')).to.equal('Renamed Here');

    await other.latchkey.accounts.updateProfile(sub, { name: 'Renamed There' });
    expect((await userinfo(other.url, token)).name).to.equal('Renamed There');
    expect(await nameSoon(server.issuer, token, 'Renamed There')).to.equal('Renamed There');
  });

  it('are read from Postgres once for many userinfo calls', async () => {
    const { tokens } = await signUpAndAuthorize(server.issuer, TEST_CLIENTS.firstParty, {
      scope: 'openid profile',
    });
    const queries: string[] = [];
    const original = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const config = args[0] as string | { text?: string };
      queries.push(typeof config === 'string' ? config : String(config?.text));
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original;
    try {
      await Promise.all(
        Array.from({ length: 10 }, () => userinfo(server.issuer, tokens.access_token)),
      );
    } finally {
      pg.Client.prototype.query = original;
    }
    expect(queries.filter((q) => /"accounts"/i.test(q))).to.deep.equal([]);
  });
});

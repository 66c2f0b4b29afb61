// Debian's Chromium driven by playwright-core, a record of what the CSP refused on a page, and a
// relying party that only records where the browser was sent: what every test in test/browser
// needs before it opens a page.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium, type Page } from 'playwright-core';
import { DEVICE_CLIENTS } from './device.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Flags for a machine without network: no background calls home.
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

/** The console messages in which the browser refused something under the CSP, as they come. */
export function cspViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  return violations;
}

/** The application that signs people in with Latchkey; its consent is implied. */
export const FIRST_PARTY = {
  client_id: 'browser-app',
  client_secret: 'browser-app-secret-0123456789abcdef',
  client_name: 'Browser App',
};
/** Another company's application: Latchkey asks before sharing anything with it. */
export const THIRD_PARTY = {
  client_id: 'partner-app',
  client_secret: 'partner-app-secret-0123456789abcdef',
  client_name: 'Partner App',
};

export interface RelyingPartyServer {
  origin: string;
  /** Client registrations of a first-party app and a partner app, both returning here. */
  clients: unknown[];
  /** Bodies of the form posts it received (response_mode=form_post). */
  posted: URLSearchParams[];
  close(): void;
}

/** An application's callback: answers every request with "Back at the app" and keeps form posts. */
export async function startRelyingPartyServer(): Promise<RelyingPartyServer> {
  const posted: URLSearchParams[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      if (req.method === 'POST') posted.push(new URLSearchParams(body));
      res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>Back at the app</h1>');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients = [
    {
      ...FIRST_PARTY,
      redirect_uris: [`${origin}/callback`],
      post_logout_redirect_uris: [`${origin}/signed-out`],
      first_party: true,
    },
    { ...THIRD_PARTY, redirect_uris: [`${origin}/partner/callback`] },
    DEVICE_CLIENTS.tv,
  ];
  return { origin, clients, posted, close: () => server.close() };
}

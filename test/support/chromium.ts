// Debian's Chromium driven by playwright-core, and a relying party that only records where the
// browser was sent: what every test in test/browser needs before it opens a page.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium } from 'playwright-core';

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

export interface RelyingPartyServer {
  origin: string;
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
  return { origin, posted, close: () => server.close() };
}

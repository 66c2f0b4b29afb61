// Records the demo video (docs/demo.mp4, linked from README) against the running compose stack with
// its demo apps and fake upstreams (`make demo` starts it, runs this, and tears it down): Debian's
// Chromium, driven by playwright-core, signs a person up, consents, follows the code into an app,
// signs in to a second app and a TV, and signs out everywhere. The pages are filmed with the
// DevTools screencast (JPEG frames with the time each arrived) and ffmpeg assembles them, with a
// caption band under the page saying what happens and which device and address are on screen.
//
//   node scripts/demo-video.ts [--out docs/demo.mp4] [--keep-frames]
//   node scripts/demo-video.ts --assemble <folder kept by --keep-frames> [--out ...]   (encode again)
// Where the stack is: DEMO_ISSUER (http://localhost:3000), DEMO_SHOP (http://localhost:3001),
// DEMO_TV (http://localhost:3002), DEMO_BOOKSHOP (http://localhost:3004), DEMO_MAIL_API
// (http://127.0.0.1:1080), CHROMIUM_PATH (/usr/bin/chromium), DEMO_EMAIL (ada@example.com).
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { BrowserContext, CDPSession, Locator, Page } from 'playwright-core';
import { launchChromium } from '../test/support/chromium.ts';

const ISSUER = process.env.DEMO_ISSUER ?? 'http://localhost:3000';
const SHOP = process.env.DEMO_SHOP ?? 'http://localhost:3001';
const TV = process.env.DEMO_TV ?? 'http://localhost:3002';
const BOOKSHOP = process.env.DEMO_BOOKSHOP ?? 'http://localhost:3004';
const MAIL_API = process.env.DEMO_MAIL_API ?? 'http://127.0.0.1:1080';

// The frame: the page on top, a caption band below it.
const WIDTH = 1280;
const HEIGHT = 720;
const PAGE_HEIGHT = 584;
const PHONE = { width: 375, height: PAGE_HEIGHT };
const FPS = 10;

const PERSON = {
  name: 'Ada Lovelace',
  // Another address (DEMO_EMAIL) records again against a stack that has Ada's account already.
  email: process.env.DEMO_EMAIL ?? 'ada@example.com',
  password: 'violet harbour lantern 1843',
};

type Device = 'Laptop' | 'Phone' | 'TV';

interface Frame {
  file: string;
  at: number;
}
interface Caption {
  at: number;
  title: string;
  text: string;
}
interface Address {
  at: number;
  device: Device;
  url: string;
}
/** What was filmed: frame files (relative to the frames' folder) and times, in ms. */
interface Recording {
  frames: Frame[];
  captions: Caption[];
  addresses: Address[];
  end: number;
}

/**
 * Films whichever page is on screen: one screencast at a time, switched with show(). Each frame is
 * kept with the time it arrived (ms since the recorder started); a frame lasts until the next.
 */
class Recorder {
  readonly frames: Frame[] = [];
  readonly captions: Caption[] = [];
  readonly addresses: Address[] = [];
  readonly #dir: string;
  readonly #start = performance.now();
  readonly #sessions = new Map<Page, { session: CDPSession; device: Device }>();
  #current: Page | undefined;
  #writes: Promise<unknown> = Promise.resolve();
  #count = 0;
  #end: number | undefined;
  #pausedAt: number | undefined;
  #skipped = 0;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** The film's clock: wall time since the start, less the time spent off the clock. */
  now() {
    return (this.#pausedAt ?? performance.now()) - this.#start - this.#skipped;
  }

  /**
   * Runs `work` off the clock: waiting for a page, a mail or a poll takes no time in the film, so
   * its length depends on what is shown and read, not on how busy the machine is. Frames that
   * arrive meanwhile all get the moment the wait began; the last of them stays on screen.
   */
  async offClock<T>(work: () => Promise<T>): Promise<T> {
    if (this.#pausedAt !== undefined) return work();
    this.#pausedAt = performance.now();
    try {
      return await work();
    } finally {
      this.#skipped += performance.now() - this.#pausedAt;
      this.#pausedAt = undefined;
    }
  }

  async attach(page: Page, device: Device) {
    const session = await page.context().newCDPSession(page);
    this.#sessions.set(page, { session, device });
    session.on('Page.screencastFrame', ({ data, sessionId }) => {
      session.send('Page.screencastFrameAck', { sessionId }).catch(() => {});
      if (this.#current === page) this.#keep(data);
    });
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame() && this.#current === page) this.#address(page);
    });
  }

  /** Puts `page` on screen: its screencast replaces the previous one, starting with a screenshot. */
  async show(page: Page) {
    if (this.#current === page) return;
    const next = this.#sessions.get(page);
    if (!next) throw new Error('show(): the page is not attached');
    const previous = this.#current && this.#sessions.get(this.#current);
    this.#current = undefined;
    await previous?.session.send('Page.stopScreencast').catch(() => {});
    // A page that is reloading itself (the TV, every few seconds) can refuse a command for a moment.
    for (let attempt = 1; ; attempt++) {
      try {
        const shot = await next.session.send('Page.captureScreenshot', {
          format: 'jpeg',
          quality: 80,
        });
        await next.session.send('Page.startScreencast', {
          format: 'jpeg',
          quality: 80,
          maxWidth: WIDTH,
          maxHeight: PAGE_HEIGHT,
        });
        this.#current = page;
        this.#keep(shot.data);
        this.#address(page);
        return;
      } catch (error) {
        if (attempt >= 10) throw error;
        await sleep(200);
      }
    }
  }

  caption(title: string, text: string) {
    this.captions.push({ at: this.now(), title, text });
  }

  async stop() {
    const current = this.#current && this.#sessions.get(this.#current);
    this.#current = undefined;
    this.#end ??= this.now();
    await current?.session.send('Page.stopScreencast').catch(() => {});
    await this.#writes;
  }

  recording(): Recording {
    const { frames, captions, addresses } = this;
    return { frames, captions, addresses, end: this.#end ?? this.now() };
  }

  #keep(base64: string) {
    const file = `f${String(++this.#count).padStart(5, '0')}.jpg`;
    this.frames.push({ file, at: this.now() });
    const where = path.join(this.#dir, file);
    this.#writes = this.#writes.then(() => writeFile(where, Buffer.from(base64, 'base64')));
  }

  #address(page: Page) {
    const device = this.#sessions.get(page)?.device;
    if (device) this.addresses.push({ at: this.now(), device, url: page.url() });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The script of the film: what each caption says, then what the person does while it shows. */
class Director {
  readonly #rec: Recorder;
  #lastCaption = { at: 0, minimum: 0 };

  constructor(recorder: Recorder) {
    this.#rec = recorder;
  }

  /** A new caption, once the previous one has been up long enough to read. */
  async say(title: string, text: string) {
    const shown = this.#rec.now() - this.#lastCaption.at;
    if (shown < this.#lastCaption.minimum) await sleep(this.#lastCaption.minimum - shown);
    this.#rec.caption(title, text);
    // About 20 characters a second, and never less than two and a half seconds.
    this.#lastCaption = {
      at: this.#rec.now(),
      minimum: Math.max(2500, (title.length + text.length) * 50),
    };
  }

  /** Waits for the pages (or anything else) off the film's clock. */
  wait<T>(work: () => Promise<T>): Promise<T> {
    return this.#rec.offClock(work);
  }

  /** Waits until the current caption has been read. */
  async read() {
    const shown = this.#rec.now() - this.#lastCaption.at;
    if (shown < this.#lastCaption.minimum) await sleep(this.#lastCaption.minimum - shown);
  }

  /** Outlines what the caption speaks of and scrolls it into view. */
  async point(page: Page, target: string | Locator) {
    const locator = typeof target === 'string' ? page.locator(target) : target;
    await locator.first().evaluate((element: HTMLElement) => {
      for (const old of document.querySelectorAll<HTMLElement>('[data-demo-pointed]')) {
        old.style.outline = '';
        delete old.dataset.demoPointed;
      }
      element.dataset.demoPointed = 'yes';
      element.style.outline = '4px solid #f59e0b';
      element.style.outlineOffset = '4px';
      element.scrollIntoView({ block: 'center' });
    });
  }

  /**
   * Points at a button or link, then presses it and waits for the page that follows; never before
   * the caption about this page has been read.
   */
  async press(page: Page, selector: string) {
    await this.point(page, selector);
    await sleep(700);
    await this.read();
    await this.wait(() =>
      Promise.all([page.waitForEvent('load'), page.locator(selector).first().click()]),
    );
    await sleep(400);
  }

  async type(page: Page, selector: string, text: string) {
    await this.point(page, selector);
    await page.locator(selector).first().pressSequentially(text, { delay: 35 });
  }
}

/** The newest mail to `to` in MailDev, once it is there. */
async function mailTo(to: string): Promise<{ id: string; links: string[] }> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const answer = await fetch(`${MAIL_API}/email`);
    if (!answer.ok) throw new Error(`MailDev answered ${answer.status}`);
    const mails = (await answer.json()) as {
      id: string;
      to: { address: string }[];
      text?: string;
    }[];
    const mail = mails.findLast((m) => m.to.some((r) => r.address === to));
    if (mail) return { id: mail.id, links: mail.text?.match(/https?:\/\/[^\s<>"]+/g) ?? [] };
    if (Date.now() > deadline) throw new Error(`no mail to ${to} in MailDev`);
    await sleep(250);
  }
}

/** The title and closing cards, drawn on a blank page of the laptop. */
async function card(page: Page, heading: string, lines: string[]) {
  const items = lines.map((line) => `<li>${line}</li>`).join('');
  await page.setContent(`<!doctype html><html><body style="margin:0;height:100vh;display:flex;
align-items:center;justify-content:center;background:#1f2937;color:#f9fafb;font:22px/1.5 'DejaVu Sans',sans-serif">
<div style="max-width:60rem"><h1 style="font-size:44px;margin:0 0 1rem">${heading}</h1>
<ul style="margin:0;padding-left:1.5rem">${items}</ul></div></body></html>`);
}

async function film(rec: Recorder, contexts: Record<Device, BrowserContext>) {
  const d = new Director(rec);
  const laptop = await contexts.Laptop.newPage();
  const phone = await contexts.Phone.newPage();
  const tv = await contexts.TV.newPage();
  await rec.attach(laptop, 'Laptop');
  await rec.attach(phone, 'Phone');
  await rec.attach(tv, 'TV');

  await card(laptop, 'Latchkey: signing in with OpenID Connect', [
    'Sign up, and confirm the address by mail',
    'Consent for a third-party app',
    'The code at the app, the token exchange, the id_token',
    'Single sign-on into a second app',
    'A TV signed in from a phone',
    'Sign in with Google (a local stand-in), linked to the account',
    'Sign out everywhere',
  ]);
  await rec.show(laptop);
  await d.say(
    'Latchkey demo',
    'Real Chromium against the Docker Compose stack: Latchkey, Postgres, Redis, a mail catcher, three demo apps and a fake Google.',
  );
  await d.read();

  // 1. Sign-up, through a third-party app.
  await d.wait(() => laptop.goto(BOOKSHOP));
  await d.say('An app', "Bookshop is another company's web app. It signs people in with Latchkey.");
  await d.read();
  await d.press(laptop, 'a[href="/login"]');
  await d.say(
    'Sign-in page',
    "Bookshop sent the browser to Latchkey's /authorize, with a PKCE challenge, state and nonce. Ada has no account yet.",
  );
  await d.read();
  await d.press(laptop, 'a[href$="/signup"]');
  await d.say('Sign up', 'She signs up with her name, email address and a password.');
  await d.type(laptop, '#name', PERSON.name);
  await d.type(laptop, '#email', PERSON.email);
  await d.type(laptop, '#password', PERSON.password);
  await d.press(laptop, 'form[action$="/signup"] button.primary');
  await d.say(
    'Check your email',
    'Latchkey mails a link to prove the address is hers. This page reads the same for any address, so it tells nobody who has an account.',
  );
  await d.read();
  const mail = await d.wait(() => mailTo(PERSON.email));
  const confirm = mail.links.find((link) => new URL(link).pathname === '/email/confirm');
  if (!confirm) throw new Error('the confirmation mail holds no /email/confirm link');
  await d.wait(() => laptop.goto(`${MAIL_API}/#/email/${mail.id}`));
  await d.wait(() => laptop.waitForLoadState('networkidle'));
  await d.say(
    'The mail',
    'MailDev catches the mail of the compose stack. Here is the confirmation message.',
  );
  await d.read();
  await d.wait(() => laptop.goto(confirm));
  await d.say(
    'Confirm',
    'Opening the link confirms the address, and the sign-in goes on where it left off.',
  );
  await d.read();
  await d.press(laptop, 'form[action="/email/confirm"] button.primary');

  // 2. Consent.
  await d.wait(() => laptop.waitForSelector('form[action$="/consent"]'));
  await d.say(
    'Consent',
    'Bookshop is a third-party app, so Latchkey asks before sharing anything. The answer is remembered.',
  );
  await d.point(laptop, 'form[action$="/consent"]');
  await d.read();
  await d.press(laptop, 'button[name="decision"][value="allow"]');

  // 3. The code, the token exchange and the id_token.
  await d.wait(() => laptop.waitForSelector('#code-arrived'));
  await d.say(
    'The code',
    "Latchkey redirected back to Bookshop's /callback with a one-time authorization code.",
  );
  await d.point(laptop, '#code-arrived');
  await d.read();
  await d.say(
    'Token exchange',
    "Bookshop's server posted the code with its PKCE verifier to the token endpoint, and got an id_token and an access token.",
  );
  await d.point(laptop, '#token-exchange');
  await d.read();
  await d.say(
    'The id_token',
    'Signed by Latchkey, checked against its published keys: who signed in (sub, name, email), how (amr) and for which app (aud).',
  );
  await d.point(laptop, '#claims');
  await d.read();

  // 4. Single sign-on into a second app.
  const shop = await contexts.Laptop.newPage();
  await rec.attach(shop, 'Laptop');
  await d.wait(() => shop.goto(SHOP));
  await rec.show(shop);
  await d.say(
    'A second app',
    'Shop is another app, in the same browser. Ada is signed in to Latchkey already.',
  );
  await d.read();
  await d.press(shop, 'a[href="/login"]');
  await d.wait(() => shop.waitForSelector('#claims'));
  await d.say(
    'Single sign-on',
    "No password and no question: Latchkey's session signed her in, and Shop is first-party, so no consent. Same sub.",
  );
  await d.point(shop, '#claims');
  await d.read();

  // 5 and 6. The TV, signed in from the phone with Google.
  await d.wait(() => tv.goto(TV));
  await rec.show(tv);
  await d.say(
    'A TV',
    'The living-room TV has no keyboard. It signs in with the device flow (RFC 8628).',
  );
  await d.read();
  await d.press(tv, 'form[action="/start"] button');
  const userCode = (await tv.locator('.code').textContent())?.trim() ?? '';
  if (!userCode) throw new Error('the TV shows no code');
  await d.say(
    'A code on the TV',
    'The TV got a short code from Latchkey and shows it, with a QR code of the link that carries it.',
  );
  await d.read();

  await d.wait(() => phone.goto(`${ISSUER}/device`));
  await d.wait(() => phone.waitForSelector('form[action$="/federated/google"]'));
  await rec.show(phone);
  await d.say(
    'On the phone',
    'Ada opens the address the TV shows. Her phone is not signed in, so Latchkey asks her to sign in first.',
  );
  await d.read();
  await d.say(
    'Sign in with Google',
    'She continues with Google: in this demo, a local stand-in for Google.',
  );
  await d.press(phone, 'form[action$="/federated/google"] button');
  await d.say(
    '"Google"',
    'The stand-in asks who you are, and vouches for the address as Google would.',
  );
  await d.type(phone, '#fake_name', PERSON.name);
  await d.type(phone, '#fake_email', PERSON.email);
  await d.press(phone, 'button[value="continue"]');
  await d.wait(() => phone.waitForSelector('form[action$="/link"]'));
  await d.say(
    'Link the accounts',
    "Google vouches for the address of Ada's account. Latchkey links the two only once she proves the account is hers, with its password.",
  );
  await d.type(phone, '#password', PERSON.password);
  await d.press(phone, 'form[action$="/link"] button.primary');
  await d.wait(() => phone.waitForSelector('#user_code'));
  await d.say(
    'The code',
    'Signed in, the phone asks for the code on the TV (scanning the QR code fills it in).',
  );
  await d.type(phone, '#user_code', userCode);
  await d.press(phone, 'form[action="/device"] button.primary');
  await d.wait(() => phone.waitForSelector('button[name="confirm"]'));
  await d.say(
    'Confirm on the phone',
    'The phone says which app asks, what it will get, and when and from where the request started.',
  );
  await d.point(phone, 'main');
  await d.read();
  await d.press(phone, 'button[name="confirm"]');
  await d.say('Allowed', 'Done on the phone. The TV asks Latchkey again every few seconds.');
  // The TV is filmed once signed in: until its next poll it shows a code that is spent.
  await d.wait(() => tv.waitForSelector('text=Signed in as', { timeout: 30_000 }));
  await d.read();
  await rec.show(tv);
  await d.say(
    'The TV is signed in',
    "The TV's next poll got its tokens: an id_token for Ada and a refresh token, so it stays signed in.",
  );
  await d.read();

  // 7. Sign out everywhere.
  await d.wait(() => phone.goto(`${ISSUER}/account`));
  await d.wait(() => phone.waitForSelector('#devices'));
  await rec.show(phone);
  await d.say(
    'Your devices',
    'On the account page, Ada sees where she is signed in: the laptop with its two apps, the TV, and this phone.',
  );
  for (const entry of await phone.locator('ul.devices > li').all()) {
    await d.point(phone, entry);
    await sleep(1800);
  }
  await d.read();
  await d.say(
    'Sign out everywhere else',
    'One button ends every other session and device, and Latchkey tells each app (back-channel logout).',
  );
  await d.press(phone, 'form[action="/account/devices/others/sign-out"] button');
  await d.point(phone, '.notice[role="status"]');
  await sleep(1500);
  await d.point(phone, 'ul.devices');
  await d.read();

  await rec.show(tv);
  // A moment of the TV still signed in, then its next reload shows the notice.
  await sleep(1500);
  await d.wait(() =>
    tv.waitForSelector('text=signed out from another device', { timeout: 30_000 }),
  );
  await d.say(
    'The TV noticed',
    'Its logout token arrived: the TV dropped its tokens and is signed out.',
  );
  await d.read();
  await d.wait(() => shop.reload());
  await rec.show(shop);
  await d.wait(() => shop.waitForSelector('text=signed out from another app or device'));
  await d.say('So did Shop', 'Shop on the laptop was told too: its session there has ended.');
  await d.read();
  await d.wait(() => laptop.reload());
  await rec.show(laptop);
  await d.wait(() => laptop.waitForSelector('text=signed out from another app or device'));
  await d.say(
    'And Bookshop',
    'And so was Bookshop, the third-party app. One sign-out reached every app.',
  );
  await d.read();
  await d.wait(() => laptop.goto('about:blank'));

  await card(laptop, 'What you saw', [
    'Sign-up confirmed by mail; consent asked once, by a third-party app',
    'Authorization code + PKCE, the token exchange, a signed id_token',
    'Single sign-on: no password for the second app',
    'Google sign-in linked to the account after proof',
    'The device flow: a TV approved from a phone',
    'Sign-out everywhere, told to every app by back-channel logout',
  ]);
  await d.say(
    'Latchkey',
    'Try it yourself: make run FAKES=1, then open http://localhost:3004. README tells the rest.',
  );
  await d.read();
}

const ass = (ms: number) => {
  const cs = Math.round(ms / 10);
  const h = Math.floor(cs / 360000);
  const m = Math.floor(cs / 6000) % 60;
  const s = Math.floor(cs / 100) % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(cs % 100).padStart(2, '0')}`;
};
const assText = (text: string) => text.replace(/[{}\\]/g, '').replace(/\n/g, '\\N');

/**
 * The caption band as ASS subtitles: the device and address on top, the caption below. The video
 * starts with the first frame, at `start` on the recorder's clock.
 */
function subtitles(rec: Recording, start: number): string {
  const { end } = rec;
  const events: string[] = [];
  const time = (at: number) => Math.max(0, at - start);
  const spans = <T extends { at: number }>(items: T[]) =>
    items.map((item, i) => ({
      item,
      from: time(item.at),
      to: time(items[i + 1]?.at ?? end),
    }));
  for (const { item, from, to } of spans(rec.addresses)) {
    const url = item.url.startsWith('about:') ? '' : item.url;
    const shown = url.length > 110 ? `${url.slice(0, 109)}…` : url;
    events.push(
      `Dialogue: 0,${ass(from)},${ass(to)},Device,,0,0,0,,{\\b1}${item.device.toUpperCase()}{\\b0}`,
      `Dialogue: 0,${ass(from)},${ass(to)},Address,,0,0,0,,${assText(shown)}`,
    );
  }
  for (const { item, from, to } of spans(rec.captions)) {
    events.push(
      `Dialogue: 0,${ass(from)},${ass(to)},Caption,,0,0,0,,{\\b1\\c&H0BA5F5&}${assText(item.title)}{\\b0\\c&HFFFFFF&}   ${assText(item.text)}`,
    );
  }
  const top = PAGE_HEIGHT + 10;
  return `[Script Info]
ScriptType: v4.00+
PlayResX: ${WIDTH}
PlayResY: ${HEIGHT}
WrapStyle: 1
ScaledBorderAndShadow: yes

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Device,DejaVu Sans,17,&H00A0A0A0,&H00FFFFFF,&H00000000,&H00000000,0,0,0,0,100,100,1,0,1,0,0,7,28,28,${top},1
Style: Address,DejaVu Sans Mono,17,&H00A0A0A0,&H00FFFFFF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,0,0,7,120,28,${top},1
Style: Caption,DejaVu Sans,25,&H00FFFFFF,&H00FFFFFF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,0,0,7,28,28,${top + 30},1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
${events.join('\n')}
`;
}

function run(command: string, args: string[]) {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => {
      errors = (errors + chunk.toString()).slice(-4000);
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}:\n${errors}`)),
    );
  });
}

/** Frames (each until the next) and the caption band, encoded as H.264 at FPS frames a second. */
async function assemble(rec: Recording, dir: string, out: string) {
  const list = rec.frames.map((frame, i) => {
    const until = rec.frames[i + 1]?.at ?? rec.end;
    return `file '${path.join(dir, frame.file)}'\nduration ${(Math.max(until - frame.at, 1) / 1000).toFixed(3)}`;
  });
  const [first, last] = [rec.frames[0], rec.frames.at(-1)];
  if (!first || !last) throw new Error('no frames were recorded');
  await writeFile(
    path.join(dir, 'frames.txt'),
    `${list.join('\n')}\nfile '${path.join(dir, last.file)}'\n`,
  );
  await writeFile(path.join(dir, 'captions.ass'), subtitles(rec, first.at));
  const background = '0x1f2937';
  const filters = [
    `scale=${WIDTH}:${PAGE_HEIGHT}:force_original_aspect_ratio=decrease`,
    `pad=${WIDTH}:${HEIGHT}:(ow-iw)/2:(${PAGE_HEIGHT}-ih)/2:${background}`,
    `fps=${FPS}`,
    `subtitles=${path.join(dir, 'captions.ass')}`,
    'format=yuv420p',
  ];
  await mkdir(path.dirname(out), { recursive: true });
  await run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'concat', '-safe', '0', '-i', path.join(dir, 'frames.txt')],
    ...['-vf', filters.join(',')],
    ...['-c:v', 'libx264', '-preset', 'slow', '-crf', '30', '-tune', 'stillimage'],
    ...['-r', String(FPS), '-movflags', '+faststart', '-an', out],
  ]);
}

async function record(dir: string): Promise<Recording> {
  const browser = await launchChromium();
  try {
    const version = browser.version().split('.')[0];
    const desktop = `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${version}.0.0.0 Safari/537.36`;
    const mobile = `Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${version}.0.0.0 Mobile Safari/537.36`;
    const page = { width: WIDTH, height: PAGE_HEIGHT };
    const contexts: Record<Device, BrowserContext> = {
      Laptop: await browser.newContext({ viewport: page, userAgent: desktop, locale: 'en-US' }),
      Phone: await browser.newContext({
        viewport: PHONE,
        userAgent: mobile,
        locale: 'en-US',
        isMobile: true,
        hasTouch: true,
      }),
      TV: await browser.newContext({ viewport: page, locale: 'en-US' }),
    };
    const rec = new Recorder(dir);
    try {
      await film(rec, contexts);
    } finally {
      await rec.stop();
    }
    return rec.recording();
  } finally {
    await browser.close();
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'docs/demo.mp4' },
      'keep-frames': { type: 'boolean', default: false },
      // Encodes the frames kept by an earlier --keep-frames run again, without recording.
      assemble: { type: 'string' },
    },
  });
  const out = path.resolve(values.out as string);
  if (values.assemble) {
    const dir = path.resolve(values.assemble);
    const recording = JSON.parse(await readFile(path.join(dir, 'recording.json'), 'utf8'));
    await assemble(recording, dir, out);
    return;
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'latchkey-demo-'));
  try {
    const recording = await record(dir);
    await writeFile(path.join(dir, 'recording.json'), JSON.stringify(recording));
    await assemble(recording, dir, out);
    const seconds = (recording.end - (recording.frames[0]?.at ?? 0)) / 1000;
    process.stdout.write(
      `${path.relative(process.cwd(), out)}: ${seconds.toFixed(1)} s, ${recording.captions.length} captions, ${recording.frames.length} frames\n`,
    );
  } finally {
    if (values['keep-frames']) process.stdout.write(`frames kept in ${dir}\n`);
    else await rm(dir, { recursive: true, force: true });
  }
}

await main();

/**
 * The switcher's browser rig: real guests, the app, the serve shell, and Debian's Chromium
 * driving the real UI through playwright-core.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { Duplex } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { App, type AppOptions } from '../../main/app/api.js';
import { startServeShell, type ServeShell } from '../../main/serve/server.js';
import { strokeFor } from '../../renderer/src/input/type-text.js';
import { CHROMIUM_ARGS, chromiumPath } from '../rig/chromium.js';
import { SYSTEM_URI, TestRig, type GuestOptions, type TestGuest } from '../rig/guests.js';

export const SCREENSHOTS = join(process.cwd(), 'test-results', 'screenshots');

/** The length of the RFB client message at the start of `buf`, or undefined until enough of it has arrived. */
function clientMessageLength(buf: Buffer): number | undefined {
  const t = buf[0]!;
  if (t === 0) return 20;
  if (t === 2) return buf.length < 4 ? undefined : 4 + 4 * buf.readUInt16BE(2);
  if (t === 3) return 10;
  if (t === 4) return 8;
  if (t === 5) return 6;
  // A negative length is the extended clipboard format: its size is the absolute value.
  if (t === 6) return buf.length < 8 ? undefined : 8 + Math.abs(buf.readInt32BE(4));
  if (t === 255) return 12;
  if (t === 248) return 10;
  if (t === 250) return buf.length < 9 ? undefined : 9 + buf[8]!;
  if (t === 150) return 10;
  throw new Error(`KeyLedger: unknown client message ${t}`);
}

/**
 * Reads what an RFB client sends as it streams by, past the handshake, and hands over each client
 * message whole. Returns the function to feed the client's bytes to.
 */
function clientMessages(onMessage: (m: Buffer) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  // ProtocolVersion (12) and the security type (1); VNC authentication (type 2) adds a 16-byte
  // response; then ClientInit (1), then client messages.
  let skip = 12;
  let securityChosen = false;
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (skip > 0) {
        const n = Math.min(skip, buf.length);
        buf = buf.subarray(n);
        skip -= n;
        if (skip > 0) return;
      }
      if (!securityChosen) {
        if (buf.length < 1) return;
        securityChosen = true;
        skip = 1 + (buf[0] === 2 ? 16 : 0) + 1;
        continue;
      }
      if (buf.length < 1) return;
      const len = clientMessageLength(buf);
      if (len === undefined || buf.length < len) return;
      onMessage(buf.subarray(0, len));
      buf = buf.subarray(len);
    }
  };
}

/**
 * Passes a channel through, handing every byte the browser writes to `onWrite`; what that returns
 * is called once the channel has taken the write.
 */
export function tapWrites(upstream: Duplex, onWrite: (chunk: Buffer) => (() => void) | void): Duplex {
  const tapped = new Duplex({
    read() {
      upstream.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      const written = onWrite(chunk);
      upstream.write(chunk, (e) => {
        written?.();
        cb(e);
      });
    },
    final(cb) {
      upstream.end();
      cb();
    },
    destroy(err, cb) {
      upstream.destroy();
      cb(err);
    },
  });
  upstream.on('data', (d: Buffer) => {
    if (!tapped.push(d)) upstream.pause();
  });
  upstream.on('end', () => tapped.push(null));
  upstream.on('close', () => tapped.destroy());
  upstream.on('error', (e) => tapped.destroy(e));
  return tapped;
}

/**
 * What each guest's keyboard has been told, read off the RFB bytes the browser sends to QEMU:
 * the keys currently held down there (by XT scancode, from QEMU extended key events, and by
 * keysym from plain key events). A key left in here after the user let go is a stuck key.
 */
export class KeyLedger {
  /** guest uuid → scancodes (or keysyms, prefixed "k") down right now */
  readonly down = new Map<string, Set<string>>();
  /** Key events seen, for the curious (and to prove the ledger reads anything at all). */
  events = 0;

  tap(uuid: string, upstream: Duplex): Duplex {
    const held = this.down.get(uuid) ?? new Set<string>();
    this.down.set(uuid, held);
    return tapWrites(
      upstream,
      clientMessages((m) => this.record(held, m)),
    );
  }

  /** Notes a key event's press or release. */
  private record(held: Set<string>, m: Buffer): void {
    const t = m[0];
    if (t === 4 || (t === 255 && m[1] === 0)) this.events++;
    // Keyed by keysym (a press and its release carry the same one, whichever message type
    // noVNC used: plain key events go out until QEMU has acknowledged extended ones).
    if (t === 4) {
      const key = `k${m.readUInt32BE(4)}`;
      if (m[1]) held.add(key);
      else held.delete(key);
    } else if (t === 255 && m[1] === 0) {
      const keysym = m.readUInt32BE(4);
      const key = keysym ? `k${keysym}` : `s${m.readUInt32BE(8)}`;
      if (m.readUInt16BE(2)) held.add(key);
      else held.delete(key);
    }
  }

  /** Keys the guest still holds down. */
  held(uuid: string): string[] {
    return [...(this.down.get(uuid) ?? [])];
  }
}

/** The app served on loopback and a Chromium page ready to open it (screenshots' folder made). */
export async function servePage(
  app: App,
  viewport: { width: number; height: number },
): Promise<{ shell: ServeShell; browser: Browser; page: Page }> {
  const shell = await startServeShell({
    app,
    host: '127.0.0.1',
    port: 0,
    staticDir: join(process.cwd(), 'dist', 'renderer'),
  });
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: [...CHROMIUM_ARGS] });
  const page = await browser.newPage({ viewport });
  // tsx names functions it compiles; give page.evaluate's copies the helper they expect.
  await page.addInitScript('window.__name = (f) => f');
  mkdirSync(SCREENSHOTS, { recursive: true });
  return { shell, browser, page };
}

export interface SwitcherRig {
  keys: KeyLedger;
  rig: TestRig;
  app: App;
  shell: ServeShell;
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

export async function startSwitcherRig(
  guests: GuestOptions[],
  viewport = { width: 1360, height: 820 },
  /** More for the app: other hosts beside this machine's system daemon, how to reach them. */
  appOptions: Omit<AppOptions, 'configDir'> = {},
): Promise<SwitcherRig & { guests: TestGuest[] }> {
  const rig = await TestRig.start();
  const dir = mkdtempSync(join(tmpdir(), 'vs-switcher-'));
  const defined: TestGuest[] = [];
  for (const g of guests) defined.push(await rig.define(g));
  const app = new App({ uris: [SYSTEM_URI], ...appOptions, configDir: dir });
  app.start();
  // Every screen the page opens is tapped, so tests can see what each guest's keyboard was told.
  const keys = new KeyLedger();
  const open = app.consoles.open.bind(app.consoles);
  app.consoles.open = async (ref, kind) => {
    const ch = await open(ref, kind);
    return kind === 'vnc' ? keys.tap(ref.uuid, ch) : ch;
  };
  const { shell, browser, page } = await servePage(app, viewport);
  return {
    keys,
    rig,
    app,
    shell,
    browser,
    page,
    guests: defined,
    close: async () => {
      await browser.close().catch(() => undefined);
      await shell.close();
      await app.close();
      await rig.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type OpenSwitcher = SwitcherRig & {
  guests: TestGuest[];
  dialogs: string[];
  /** Clicks the guest's card and waits until it owns keyboard, video and mouse. */
  select(g: TestGuest): Promise<void>;
  /** Saves what the page shows as test-results/screenshots/NAME.png. */
  screenshot(name: string): Promise<void>;
};

/** Empties test-results/screenshots. */
export function clearScreenshots(): void {
  rmSync(SCREENSHOTS, { recursive: true, force: true });
}

/**
 * The rig with the switcher open: the guests defined (and those that start, booted), the page
 * loaded and showing the `ready` selector. Dialogs the page opens are dismissed and their
 * messages kept in `dialogs` (there should be none).
 */
export async function openSwitcher(
  guests: GuestOptions[],
  ready: (defined: TestGuest[]) => string,
  appOptions: Omit<AppOptions, 'configDir'> = {},
): Promise<OpenSwitcher> {
  const r = await startSwitcherRig(guests, undefined, appOptions);
  const dialogs: string[] = [];
  r.page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  try {
    await Promise.all(r.guests.filter((_, i) => guests[i]!.start ?? true).map((g) => r.rig.waitForBoot(g)));
    await r.page.goto(r.shell.url);
    await r.page.waitForSelector(ready(r.guests));
  } catch (e) {
    // The caller gets no rig to close: its guests, browser and server go now.
    await r.close();
    throw e;
  }
  return {
    ...r,
    dialogs,
    select: (g) => selectGuest(r.page, g),
    screenshot: async (name) => {
      await r.page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
    },
  };
}

/** Types text as a person does on a US keyboard: shifted characters with Shift held. */
export async function typeAsPerson(page: Page, text: string): Promise<void> {
  for (const ch of text) {
    const s = strokeFor(ch);
    if (!s) throw new Error(`can't type ${JSON.stringify(ch)}`);
    await page.keyboard.press(s.shift ? `Shift+${s.code}` : s.code);
  }
}

export const guestCard = (g: TestGuest): string => `[data-testid="guest"][data-uuid="${g.uuid}"]`;

async function selectGuest(page: Page, g: TestGuest): Promise<void> {
  await page.click(guestCard(g));
  await waitActive(page, g);
}

/** Waits until the stage says this guest owns keyboard, video and mouse, and its screen is live. */
export async function waitActive(page: Page, g: TestGuest): Promise<void> {
  try {
    await page.waitForFunction(
      (uuid) => {
        const stage = document.querySelector('[data-testid="stage"]') as HTMLElement | null;
        const c = document.querySelector('.console.active canvas') as HTMLCanvasElement | null;
        return stage?.dataset.activeUuid === uuid && c !== null && c.width > 0 && document.activeElement === c;
      },
      g.uuid,
      { timeout: 60_000 },
    );
  } catch (e) {
    const why = await page.evaluate(() => {
      const stage = document.querySelector('[data-testid="stage"]') as HTMLElement | null;
      const c = document.querySelector('.console.active canvas') as HTMLCanvasElement | null;
      const a = document.activeElement;
      return `stage=${stage?.dataset.activeName} canvas=${c ? `${c.width}x${c.height}` : 'none'} focus=${a?.tagName}.${a?.className}`;
    });
    throw new Error(`${g.name} did not become the active guest with a live, focused screen: ${why}`, { cause: e });
  }
}

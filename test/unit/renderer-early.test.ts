/**
 * The page's early start (renderer/src/bridge/early.ts): the API socket and the first guest's
 * console opened before app.js has run, what they receive kept in order, and handed over to the
 * browser bridge, which opens nothing twice; a console opened for a guest the app does not show
 * first is closed.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_SETTINGS,
  type AppEvent,
  type AppState,
  type GuestInfo,
  type HostInfo,
} from '../../common/contract.js';
import { wsProtocols } from '../../common/ws-secret.js';
import { guestInfo } from '../fixtures/guest-info.js';
import { EarlyChannel } from '../../renderer/src/bridge/early-channel.js';
import { EarlyStart, type ApiMessage } from '../../renderer/src/bridge/early.js';
import { firstVncGuest } from '../../common/first-guest.js';
import { ThrottledChannel } from '../../renderer/src/consoles/throttled-channel.js';

/** A WebSocket as far as the page uses one; every one made is in `FakeSocket.made`. */
class FakeSocket {
  static readonly OPEN = 1;
  static made: FakeSocket[] = [];
  binaryType = 'blob';
  readyState = 0;
  protocol = '';
  sent: unknown[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: ArrayBuffer | string }) => void) | null = null;
  onclose: ((ev: never) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;

  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    FakeSocket.made.push(this);
  }

  send(data: unknown): void {
    this.sent.push(data);
  }

  close(): void {
    this.readyState = 3;
  }

  open(): void {
    this.readyState = 1;
    this.protocol = 'virtswitch';
    this.onopen?.({});
  }

  receive(data: unknown): void {
    this.onmessage?.({ data: typeof data === 'string' || data instanceof ArrayBuffer ? data : JSON.stringify(data) });
  }

  end(code: number): void {
    this.readyState = 3;
    (this.onclose as ((ev: unknown) => void) | null)?.({ code, reason: '', wasClean: true });
  }
}

const BASE = 'ws://127.0.0.1:8080';
const TOKEN = 'secret-1';
const A = 'qemu:///system';
const connected = (uri: string): HostInfo => ({ uri, status: 'connected' });

function state(guests: GuestInfo[], hosts: HostInfo[] = [connected(A)], lastActive?: string): AppState {
  return { hosts, guests, consoles: [], settings: { ...DEFAULT_SETTINGS, ...(lastActive ? { lastActive } : {}) } };
}

const consoleUrl = (g: GuestInfo): string =>
  `${BASE}/console?${new URLSearchParams({ host: g.host, uuid: g.uuid, kind: 'vnc' }).toString()}`;
const consoles = (): FakeSocket[] => FakeSocket.made.filter((s) => s.url.includes('/console'));
const start = (domain?: string): EarlyStart =>
  new EarlyStart({ WebSocket: FakeSocket, base: BASE, token: TOKEN, ...(domain ? { domain } : {}) });
const api = (): FakeSocket => FakeSocket.made.find((s) => s.url === `${BASE}/api`)!;

beforeEach(() => {
  FakeSocket.made = [];
});

describe('early start: the first guest’s console', () => {
  const alpha = guestInfo({ name: 'alpha' });
  const beta = guestInfo({ name: 'beta' });
  const FIRST = `${BASE}/console?first=vnc`;
  const name = (g: GuestInfo): string => JSON.stringify({ host: g.host, uuid: g.uuid });

  it('opens the API socket and the first guest’s console at once, both with the secret in the protocol header', () => {
    start();
    assert.deepEqual(
      FakeSocket.made.map((s) => s.url),
      [`${BASE}/api`, FIRST],
    );
    for (const s of FakeSocket.made) assert.deepEqual(s.protocols, wsProtocols(TOKEN));
    assert.equal(consoles()[0]!.binaryType, 'arraybuffer');
  });

  it('asks for the guest named in the page’s URL', () => {
    start('beta web');
    assert.deepEqual(
      consoles().map((s) => s.url),
      [`${FIRST}&domain=beta+web`],
    );
  });

  it('hands the console to the bridge that asks for the guest the server named, once, without the naming', async () => {
    const early = start();
    const ws = consoles()[0]!;
    ws.open();
    ws.receive(name(alpha));
    ws.receive('RFB 003.008\n');
    assert.equal(early.takeConsole(consoleUrl(beta), TOKEN), undefined, 'another guest');
    assert.equal(ws.readyState, 3, 'the unused console is closed');

    FakeSocket.made = [];
    const again = start();
    consoles()[0]!.open();
    consoles()[0]!.receive(name(alpha));
    consoles()[0]!.receive('RFB 003.008\n');
    assert.equal(again.takeConsole(consoleUrl(alpha), 'other-secret'), undefined, 'a different secret');
    assert.equal(consoles()[0]!.readyState, 3);

    FakeSocket.made = [];
    const third = start();
    consoles()[0]!.open();
    consoles()[0]!.receive(name(alpha));
    consoles()[0]!.receive('RFB 003.008\n');
    const ch = third.takeConsole(consoleUrl(alpha), TOKEN);
    assert.ok(ch instanceof EarlyChannel);
    assert.equal(third.takeConsole(consoleUrl(alpha), TOKEN), undefined, 'only once');
    const got: string[] = [];
    ch.onmessage = (ev) => got.push(String(ev.data));
    await Promise.resolve();
    assert.deepEqual(got, ['RFB 003.008\n'], 'the naming is not the display’s');
  });

  it('hands over a console not named yet, and closes it if the naming then names another guest', async () => {
    const early = start();
    const ws = consoles()[0]!;
    ws.open();
    const ch = early.takeConsole(consoleUrl(alpha), TOKEN)!;
    assert.ok(ch instanceof EarlyChannel);
    const closes: (number | undefined)[] = [];
    ch.onclose = (ev) => closes.push(ev.code);
    ch.onmessage = () => undefined;
    ws.receive(name(alpha));
    assert.notEqual(ws.readyState, 3, 'the guest it was taken for');

    FakeSocket.made = [];
    const other = start();
    consoles()[0]!.open();
    const wrong = other.takeConsole(consoleUrl(alpha), TOKEN)!;
    consoles()[0]!.receive(name(beta));
    assert.equal(consoles()[0]!.readyState, 3, 'named another guest: closed');
    assert.ok(wrong);
  });

  it('closes a console whose first message names no guest', () => {
    start();
    consoles()[0]!.open();
    consoles()[0]!.receive('RFB 003.008\n');
    assert.equal(consoles()[0]!.readyState, 3);
  });

  it('does not hand over a console that has closed meanwhile (the server had no guest to show)', () => {
    const early = start();
    consoles()[0]!.end(1006);
    assert.equal(early.takeConsole(consoleUrl(alpha), TOKEN), undefined);
  });
});

describe('the first guest, as page and server pick it', () => {
  const alpha = guestInfo({ name: 'alpha' });
  const beta = guestInfo({ name: 'beta' });
  const off = guestInfo({ name: 'aaa-off', state: 'shutoff' });

  it('is the remembered guest, else the first running one', () => {
    assert.equal(firstVncGuest(state([off, alpha, beta], undefined, beta.uuid), undefined)?.uuid, beta.uuid);
    const gone = '00000000-0000-4000-8000-999999999999';
    assert.equal(firstVncGuest(state([off, alpha, beta], undefined, gone), undefined)?.uuid, alpha.uuid);
  });

  it('is the guest named in the page’s URL', () => {
    assert.equal(firstVncGuest(state([alpha, beta]), 'beta')?.uuid, beta.uuid);
  });

  it('is not known while the hosts are still listing their guests', () => {
    assert.equal(firstVncGuest(state([], [{ uri: A, status: 'connecting' }]), undefined), undefined);
    assert.equal(firstVncGuest(state([alpha], [{ uri: A, status: 'connecting' }]), undefined)?.uuid, alpha.uuid);
    assert.equal(firstVncGuest(state([alpha], [{ uri: A, status: 'connecting' }]), 'beta'), undefined);
  });

  it('is none for a first guest without a VNC display, or one that is not running', () => {
    assert.equal(firstVncGuest(state([guestInfo({ name: 'serial-only', hasVnc: false })]), undefined), null);
    assert.equal(firstVncGuest(state([off]), undefined), null);
    assert.equal(firstVncGuest(state([]), undefined), null);
  });
});

describe('early start: the API socket', () => {
  it('keeps what arrives until drained, in order, then passes messages straight on', () => {
    const early = start();
    const ws = api();
    ws.receive({ type: 'state', state: state([]) });
    ws.receive('not json');
    ws.receive({ type: 'event', event: { type: 'stats', stats: [] } });
    const got: ApiMessage[] = [];
    const taken = early.takeApi(`${BASE}/api`, TOKEN)!;
    assert.equal(taken.ws, ws);
    assert.equal(got.length, 0);
    taken.drainTo((m) => got.push(m));
    ws.receive({ id: 1, result: null });
    assert.deepEqual(
      got.map((m) => m.type ?? `reply ${m.id}`),
      ['state', 'event', 'reply 1'],
    );
    assert.equal(early.takeApi(`${BASE}/api`, TOKEN), undefined, 'only once');
  });

  it('is not handed to a bridge with another secret (and is closed)', () => {
    const early = start();
    assert.equal(early.takeApi(`${BASE}/api`, 'other'), undefined);
    assert.equal(api().readyState, 3);
  });
});

describe('EarlyChannel', () => {
  it('keeps messages and a close until a listener attaches, then hands them on after that task, in order', async () => {
    const ws = new FakeSocket(`${BASE}/console`, []);
    const ch = new EarlyChannel(ws);
    ws.open();
    ws.receive('RFB 003.008\n');
    ws.receive('second');
    assert.equal(ch.heldCount, 2);
    // As the VNC console wraps it: a ThrottledChannel, then noVNC sets its handlers.
    const outer = new ThrottledChannel(ch);
    const got: string[] = [];
    let opens = 0;
    outer.onopen = () => opens++;
    outer.onmessage = (ev) => got.push(String(ev.data));
    assert.deepEqual(got, [], 'not within the attaching task');
    assert.equal(outer.readyState, 1, 'open, as readyState says');
    await Promise.resolve();
    assert.deepEqual(got, ['RFB 003.008\n', 'second']);
    ws.receive('live');
    assert.deepEqual(got, ['RFB 003.008\n', 'second', 'live']);
    assert.equal(opens, 0, 'the open event is not repeated');
    outer.send('reply');
    assert.deepEqual(ws.sent, ['reply']);
    assert.equal(outer.protocol, 'virtswitch');
  });

  it('keeps a close behind the messages that came before it', async () => {
    const ws = new FakeSocket(`${BASE}/console`, []);
    const ch = new EarlyChannel(ws);
    ws.open();
    ws.receive('last words');
    ws.end(1000);
    const order: string[] = [];
    ch.onclose = (ev) => order.push(`close ${ev.code}`);
    ch.onmessage = (ev) => order.push(String(ev.data));
    await Promise.resolve();
    assert.deepEqual(order, ['last words', 'close 1000']);
  });

  it('passes the open event on when a listener attached before the socket opened', () => {
    const ws = new FakeSocket(`${BASE}/console`, []);
    const ch = new EarlyChannel(ws);
    let opens = 0;
    ch.onopen = () => opens++;
    ch.onmessage = () => undefined;
    ws.open();
    assert.equal(opens, 1);
  });
});

describe('BrowserBridge with an early start', () => {
  const saved: Record<string, unknown> = {};
  const g = globalThis as unknown as Record<string, unknown>;
  const stubs: Record<string, unknown> = {
    window: globalThis,
    WebSocket: FakeSocket,
    location: { hash: `#token=${TOKEN}`, pathname: '/', search: '', protocol: 'http:', host: '127.0.0.1:8080' },
    sessionStorage: new (class {
      private m = new Map<string, string>();
      getItem = (k: string): string | null => this.m.get(k) ?? null;
      setItem = (k: string, v: string): void => void this.m.set(k, v);
    })(),
    history: { replaceState: () => undefined },
  };

  beforeEach(() => {
    for (const [k, v] of Object.entries(stubs)) {
      saved[k] = g[k];
      Object.defineProperty(globalThis, k, { value: v, configurable: true, writable: true });
    }
  });
  afterEach(() => {
    for (const k of Object.keys(stubs))
      Object.defineProperty(globalThis, k, { value: saved[k], configurable: true, writable: true });
  });

  it('takes over the early sockets: one API socket, the first console not opened twice, nothing lost', async () => {
    const { startEarly } = await import('../../renderer/src/bridge/early.js');
    const { BrowserBridge } = await import('../../renderer/src/bridge/browser.js');
    const alpha = guestInfo({ name: 'alpha' });
    const beta = guestInfo({ name: 'beta' });
    startEarly();
    const ws = api();
    ws.open();
    ws.receive({ type: 'state', state: state([alpha, beta]) });
    ws.receive({ type: 'event', event: { type: 'stats', stats: [] } });
    const bridge = new BrowserBridge(TOKEN, BASE);
    assert.equal(FakeSocket.made.filter((s) => s.url.endsWith('/api')).length, 1, 'no second API socket');
    const states: AppState[] = [];
    const events: AppEvent[] = [];
    bridge.subscribe(
      (s) => states.push(s),
      (e) => events.push(e),
    );
    assert.equal(states.length, 1);
    assert.deepEqual(
      states[0]!.guests.map((x) => x.name),
      ['alpha', 'beta'],
    );
    assert.deepEqual(
      events.map((e) => e.type),
      ['stats'],
    );
    // Commands go out on the adopted socket, and their answers come back.
    const reply = bridge.invoke('state.get', {});
    assert.equal(JSON.parse(String(ws.sent[0])).command, 'state.get');
    ws.receive({ id: JSON.parse(String(ws.sent[0])).id, result: state([alpha]) });
    assert.equal((await reply).guests.length, 1);

    consoles()[0]!.open();
    consoles()[0]!.receive(JSON.stringify({ host: alpha.host, uuid: alpha.uuid }));
    const first = bridge.openConsole({ host: alpha.host, uuid: alpha.uuid }, 'vnc');
    assert.ok(first instanceof EarlyChannel, 'the early console');
    assert.equal(consoles().length, 1, 'not opened again');
    bridge.openConsole({ host: beta.host, uuid: beta.uuid }, 'vnc');
    assert.deepEqual(
      consoles().map((s) => s.url),
      [`${BASE}/console?first=vnc`, consoleUrl(beta)],
    );
  });
});

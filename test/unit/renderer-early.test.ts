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
  const off = guestInfo({ name: 'aaa-off', state: 'shutoff' });

  it('opens the API socket at once, with the secret in the protocol header', () => {
    start();
    assert.equal(FakeSocket.made.length, 1);
    assert.deepEqual(api().protocols, wsProtocols(TOKEN));
  });

  it('opens the remembered guest’s console as soon as the state names it', () => {
    start();
    api().open();
    api().receive({ type: 'state', state: state([off, alpha, beta], undefined, beta.uuid) });
    assert.deepEqual(
      consoles().map((s) => s.url),
      [consoleUrl(beta)],
    );
    assert.deepEqual(consoles()[0]!.protocols, wsProtocols(TOKEN));
    assert.equal(consoles()[0]!.binaryType, 'arraybuffer');
  });

  it('falls back to the first running guest when the remembered one is gone', () => {
    start();
    api().receive({
      type: 'state',
      state: state([off, alpha, beta], undefined, '00000000-0000-4000-8000-999999999999'),
    });
    assert.deepEqual(
      consoles().map((s) => s.url),
      [consoleUrl(alpha)],
    );
  });

  it('opens the guest named in the page’s URL', () => {
    start('beta');
    api().receive({ type: 'state', state: state([alpha, beta]) });
    assert.deepEqual(
      consoles().map((s) => s.url),
      [consoleUrl(beta)],
    );
  });

  it('waits while the hosts are still listing their guests, then opens the first one reported', () => {
    start();
    api().receive({ type: 'state', state: state([], [{ uri: A, status: 'connecting' }]) });
    assert.equal(consoles().length, 0);
    api().receive({ type: 'event', event: { type: 'guest', guest: alpha } satisfies AppEvent });
    assert.deepEqual(
      consoles().map((s) => s.url),
      [consoleUrl(alpha)],
    );
    api().receive({ type: 'event', event: { type: 'guest', guest: beta } satisfies AppEvent });
    assert.equal(consoles().length, 1, 'one console, once');
  });

  it('opens nothing for a first guest without a VNC display, or one that is not running', () => {
    start();
    api().receive({ type: 'state', state: state([guestInfo({ name: 'serial-only', hasVnc: false })]) });
    start();
    api().receive({ type: 'state', state: state([off]) });
    assert.equal(consoles().length, 0);
  });

  it('hands the console to the bridge that asks for it, once; another guest’s request closes it', () => {
    const early = start();
    api().receive({ type: 'state', state: state([alpha, beta]) });
    assert.equal(early.takeConsole(consoleUrl(alpha), 'other-secret'), undefined, 'a different secret');
    assert.equal(consoles()[0]!.readyState, 3, 'closed');

    FakeSocket.made = [];
    const again = start();
    api().receive({ type: 'state', state: state([alpha, beta]) });
    assert.ok(again.takeConsole(consoleUrl(alpha), TOKEN) instanceof EarlyChannel);
    assert.equal(again.takeConsole(consoleUrl(alpha), TOKEN), undefined, 'only once');

    FakeSocket.made = [];
    const third = start();
    api().receive({ type: 'state', state: state([alpha, beta]) });
    assert.equal(third.takeConsole(consoleUrl(beta), TOKEN), undefined);
    assert.equal(consoles()[0]!.readyState, 3, 'the unused console is closed');
  });

  it('does not hand over a console that has closed meanwhile', () => {
    const early = start();
    api().receive({ type: 'state', state: state([alpha]) });
    consoles()[0]!.end(1011);
    assert.equal(early.takeConsole(consoleUrl(alpha), TOKEN), undefined);
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

    const first = bridge.openConsole({ host: alpha.host, uuid: alpha.uuid }, 'vnc');
    assert.ok(first instanceof EarlyChannel, 'the early console');
    assert.equal(consoles().length, 1, 'not opened again');
    bridge.openConsole({ host: beta.host, uuid: beta.uuid }, 'vnc');
    assert.deepEqual(
      consoles().map((s) => s.url),
      [consoleUrl(alpha), consoleUrl(beta)],
    );
  });
});

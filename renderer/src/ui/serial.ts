/**
 * A guest's serial console in xterm.js, over a console channel from the bridge. xterm.js is half
 * of the page's script, so it is fetched (its own chunk) the first time a serial console opens,
 * not before the first guest can be shown.
 */
import type * as AddonFit from '@xterm/addon-fit';
import type { FitAddon } from '@xterm/addon-fit';
import type * as XtermModule from '@xterm/xterm';
import type { Terminal } from '@xterm/xterm';
import type { Bridge, ConsoleChannel, GuestRef } from '../../../common/contract.js';
import { h } from './dom.js';

type Xterm = [typeof XtermModule, typeof AddonFit];
let xterm: Promise<Xterm> | undefined;
const loadXterm = (): Promise<Xterm> => (xterm ??= Promise.all([import('@xterm/xterm'), import('@xterm/addon-fit')]));

export class SerialView {
  private term: Terminal | undefined;
  private fit: FitAddon | undefined;
  private channel: ConsoleChannel | undefined;
  private resizeObserver: ResizeObserver | undefined;
  private readonly status = h('div', { className: 'serial-status', role: 'status' });
  private readonly host = h('div', { className: 'serial-term' });
  /** Bumped by every open and close: a terminal that finishes loading for an older one is dropped. */
  private generation = 0;
  /** Focus was asked for while xterm.js was still loading. */
  private focusWhenReady = false;
  key: string | undefined;

  constructor(
    private readonly bridge: Bridge,
    readonly element: HTMLElement,
  ) {
    element.append(this.status, this.host);
  }

  open(ref: GuestRef, key: string): void {
    if (this.key === key) return;
    this.close();
    this.key = key;
    this.element.hidden = false;
    this.status.textContent = 'Connecting to the serial console…';
    const generation = this.generation;
    loadXterm().then(
      ([{ Terminal }, { FitAddon }]) => {
        if (generation === this.generation) this.attach(ref, new Terminal(this.options()), new FitAddon());
      },
      (e: unknown) => {
        xterm = undefined;
        if (generation === this.generation)
          this.status.textContent = `The serial console could not load: ${e instanceof Error ? e.message : String(e)}`;
      },
    );
  }

  private options(): ConstructorParameters<typeof Terminal>[0] {
    const dark = document.documentElement.dataset.resolvedTheme !== 'light';
    return {
      convertEol: false,
      cursorBlink: true,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", monospace',
      fontSize: 13,
      theme: dark
        ? { background: '#0b0d12', foreground: '#d6dae3' }
        : { background: '#fbfbfd', foreground: '#1d2130', cursor: '#1d2130' },
    };
  }

  private attach(ref: GuestRef, term: Terminal, fit: FitAddon): void {
    term.loadAddon(fit);
    term.open(this.host);
    this.term = term;
    this.fit = fit;
    this.resizeObserver = new ResizeObserver(() => fit.fit());
    this.resizeObserver.observe(this.host);
    fit.fit();
    if (this.focusWhenReady) term.focus();
    this.focusWhenReady = false;
    const ch = this.bridge.openConsole(ref, 'serial');
    ch.binaryType = 'arraybuffer';
    this.channel = ch;
    const encoder = new TextEncoder();
    ch.onopen = () => {
      this.status.textContent = '';
      // Ask the guest's shell for a prompt.
      ch.send(encoder.encode('\r'));
    };
    ch.onmessage = (ev) => term.write(typeof ev.data === 'string' ? ev.data : new Uint8Array(ev.data));
    ch.onclose = () => {
      if (this.channel === ch) this.status.textContent = 'The serial console closed.';
    };
    term.onData((d) => {
      if (ch.readyState === 1) ch.send(encoder.encode(d));
    });
  }

  focus(): void {
    if (this.term) this.term.focus();
    else if (this.key) this.focusWhenReady = true;
  }

  close(): void {
    this.generation++;
    this.focusWhenReady = false;
    this.channel?.close();
    this.channel = undefined;
    this.resizeObserver?.disconnect();
    this.term?.dispose();
    this.term = undefined;
    this.fit = undefined;
    this.key = undefined;
    this.host.replaceChildren();
    this.element.hidden = true;
  }
}

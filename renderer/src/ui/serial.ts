/** A guest's serial console in xterm.js, over a console channel from the bridge. */
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import type { Bridge, ConsoleChannel, GuestRef } from '../../../common/contract.js';
import { h } from './dom.js';

export class SerialView {
  private term: Terminal | undefined;
  private fit: FitAddon | undefined;
  private channel: ConsoleChannel | undefined;
  private resizeObserver: ResizeObserver | undefined;
  private readonly status = h('div', { className: 'serial-status', role: 'status' });
  private readonly host = h('div', { className: 'serial-term' });
  key: string | undefined;

  constructor(
    private readonly bridge: Bridge,
    readonly element: HTMLElement,
  ) {
    element.append(this.status, this.host);
  }

  open(ref: GuestRef, key: string): void {
    if (this.key === key && this.channel) return;
    this.close();
    this.key = key;
    this.element.hidden = false;
    const dark = document.documentElement.dataset.resolvedTheme !== 'light';
    const term = new Terminal({
      convertEol: false,
      cursorBlink: true,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", monospace',
      fontSize: 13,
      theme: dark
        ? { background: '#0b0d12', foreground: '#d6dae3' }
        : { background: '#fbfbfd', foreground: '#1d2130', cursor: '#1d2130' },
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(this.host);
    this.term = term;
    this.fit = fit;
    this.resizeObserver = new ResizeObserver(() => fit.fit());
    this.resizeObserver.observe(this.host);
    fit.fit();
    this.status.textContent = 'Connecting to the serial console…';
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
    this.term?.focus();
  }

  close(): void {
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

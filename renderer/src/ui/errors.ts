/** Errors shown where people look: a stack of readable messages that stay until read or dismissed. */
import { h, iconButton } from './dom.js';

/** The toasts made last (the page makes one). */
const shown: ErrorToasts[] = [];

/** Shows an error in the page's toasts (the last ones made), for parts that have no handle on them. */
export function showError(e: unknown, title?: string): void {
  shown[0]?.show(e instanceof Error ? e.message : String(e), title);
}

export class ErrorToasts {
  readonly element = h('div', { className: 'toasts', 'aria-live': 'assertive', 'aria-relevant': 'additions' });

  constructor() {
    shown.splice(0, shown.length, this);
  }

  show(message: string, title = 'Something went wrong', ttlMs = 20_000): void {
    // The same message twice in a row is one message.
    const last = this.element.lastElementChild as HTMLElement | null;
    if (last?.dataset.message === message) return;
    const toast = h(
      'div',
      { className: 'toast', role: 'alert', 'data-testid': 'error', 'data-message': message },
      h('div', { className: 'toast-text' }, h('strong', {}, title), h('span', {}, message)),
      iconButton('close', 'Dismiss', () => toast.remove()),
    );
    this.element.append(toast);
    while (this.element.children.length > 4) this.element.firstElementChild?.remove();
    window.setTimeout(() => toast.remove(), ttlMs);
  }
}

/**
 * Modal dialogs: a confirmation for destructive actions, and a general modal for forms and
 * panels. One at a time; Esc or the close button cancels; focus goes in and comes back.
 */
import { h, iconButton } from './dom.js';

let open: { close: (result: unknown) => void } | undefined;

export function modalOpen(): boolean {
  return open !== undefined;
}

export interface ModalOptions {
  title: string;
  body: Node[];
  testid?: string;
  wide?: boolean;
  /** Called with the result when the modal closes (undefined = cancelled). */
  onClose?: (result: unknown) => void;
}

export interface Modal {
  element: HTMLElement;
  close(result?: unknown): void;
}

export function showModal(o: ModalOptions): Modal {
  open?.close(undefined);
  const previous = document.activeElement as HTMLElement | null;
  const titleId = `modal-title-${Math.random().toString(36).slice(2)}`;
  const panel = h('div', {
    className: `modal${o.wide ? ' wide' : ''}`,
    role: 'dialog',
    'aria-modal': 'true',
    'aria-labelledby': titleId,
    'data-testid': o.testid,
  });
  const backdrop = h('div', { className: 'backdrop' }, panel);
  const close = (result?: unknown): void => {
    if (!backdrop.isConnected) return;
    backdrop.remove();
    open = undefined;
    previous?.focus?.({ preventScroll: true });
    o.onClose?.(result);
  };
  panel.append(
    h(
      'header',
      {},
      h('h2', { id: titleId }, o.title),
      iconButton('close', 'Close', () => close(undefined)),
    ),
    ...o.body,
  );
  backdrop.addEventListener('mousedown', (ev) => {
    if (ev.target === backdrop) close(undefined);
  });
  panel.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      ev.stopPropagation();
      close(undefined);
    }
  });
  document.body.append(backdrop);
  open = { close };
  const first = panel.querySelector<HTMLElement>('[autofocus], input, select, textarea, button.primary, button');
  first?.focus();
  return { element: panel, close };
}

/** Asks before a destructive action. Resolves true for yes. */
export function confirm(question: string, detail: string, yesLabel: string): Promise<boolean> {
  return new Promise((resolve) => {
    const yes = h('button', { type: 'button', className: 'danger', 'data-confirm': 'yes', autofocus: true }, yesLabel);
    const no = h('button', { type: 'button', 'data-confirm': 'no' }, 'Cancel');
    const m = showModal({
      title: question,
      testid: 'confirm',
      body: [h('p', { className: 'detail' }, detail), h('div', { className: 'buttons' }, no, yes)],
      onClose: (r) => resolve(r === true),
    });
    yes.addEventListener('click', () => m.close(true));
    no.addEventListener('click', () => m.close(false));
  });
}

/** A labelled form field. */
export function field(label: string, input: HTMLElement, hint?: string): HTMLElement {
  const id = input.id || `f-${Math.random().toString(36).slice(2)}`;
  input.id = id;
  return h('div', { className: 'field' }, h('label', { for: id }, label), input, hint ? h('small', {}, hint) : null);
}

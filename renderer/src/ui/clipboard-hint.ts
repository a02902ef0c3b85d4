/**
 * Text a guest put on its clipboard reaches this computer's clipboard only by the user's choice:
 * at once when the setting allows it, else through a visible hint with a one-click copy. A guest
 * must not plant text the user later pastes, unaware, into a terminal here.
 */
import type { Settings } from '../../../common/contract.js';
import { h, iconButton } from './dom.js';

export type GuestClipboardAction = 'copy' | 'hint' | 'ignore';

/** Only the guest in front of the user, while the page has focus, is heard at all. */
export function guestClipboardAction(s: Settings, active: boolean, focused: boolean): GuestClipboardAction {
  if (!active || !focused) return 'ignore';
  return s.guestClipboardToHost ? 'copy' : 'hint';
}

export class ClipboardHint {
  readonly element = h('div', { className: 'clipboard-hint', hidden: true, 'data-testid': 'clipboard-hint' });
  private timer: number | undefined;

  /** Text from the guest `guest`'s clipboard: copied, offered in the hint, or ignored, as the settings say. */
  offer(s: Settings, active: boolean, guest: string, text: string): void {
    const what = guestClipboardAction(s, active, document.hasFocus());
    if (what === 'copy') navigator.clipboard?.writeText(text).catch(() => undefined);
    else if (what === 'hint') this.show(guest, text);
  }

  show(guest: string, text: string): void {
    const preview = text.length > 60 ? `${text.slice(0, 60)}…` : text;
    const copy = h('button', { type: 'button', className: 'primary' }, 'Copy to this computer');
    copy.addEventListener('click', () => {
      void navigator.clipboard?.writeText(text).then(
        () => this.hide(),
        () => (copy.textContent = 'Copy failed'),
      );
    });
    this.element.replaceChildren(
      h(
        'div',
        { className: 'clipboard-what' },
        h('strong', {}, `Guest clipboard received from ${guest}`),
        h('span', { className: 'clipboard-preview', title: text }, preview),
      ),
      copy,
      iconButton('close', 'Dismiss', () => this.hide()),
    );
    this.element.hidden = false;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.hide(), 30_000);
  }

  hide(): void {
    this.element.hidden = true;
    this.element.replaceChildren();
  }
}

/**
 * One guest's entry in the strip: a card with a live thumbnail, or (in the dense list) one line.
 * Made when its row comes into view; updated in place, touching only what changed.
 */
import type { GuestAction, GuestInfo } from '../../../common/contract.js';
import type { StripMode } from '../state/strip-layout.js';
import { ACTION_KEYS, ACTION_LABELS, actionsFor, stateLabel } from './actions.js';
import { h, icon, iconButton } from './dom.js';

export interface Card {
  key: string;
  el: HTMLElement;
  /** Only cards have one; list lines show no picture. */
  thumb: HTMLCanvasElement | undefined;
  placeholder: HTMLElement | undefined;
  name: HTMLSpanElement;
  stateLabel: HTMLSpanElement;
  slot: HTMLSpanElement;
  actions: HTMLDivElement;
  cpu: HTMLDivElement;
  actionsSig: string;
  look: string;
}

export function makeCard(key: string, mode: StripMode): Card {
  const slot = h('span', { className: 'slot', 'aria-hidden': 'true' });
  const actions = h('div', { className: 'card-actions' });
  const name = h('span', { className: 'name' });
  const stateLabel = h('span', { className: 'state-label' });
  const cpu = h('div', { className: 'cpu-bar', 'aria-hidden': 'true' });
  const attrs = {
    className: `guest-card ${mode === 'list' ? 'line' : ''}`,
    'data-testid': 'guest',
    role: 'option',
    tabindex: 0,
    draggable: 'true',
    'aria-selected': 'false',
  };
  if (mode === 'list') {
    const el = h(
      'div',
      attrs,
      h('span', { className: 'state-dot', 'aria-hidden': 'true' }),
      name,
      stateLabel,
      slot,
      actions,
      cpu,
    );
    return {
      key,
      el,
      thumb: undefined,
      placeholder: undefined,
      name,
      stateLabel,
      slot,
      actions,
      cpu,
      actionsSig: '',
      look: '',
    };
  }
  const thumb = h('canvas', { className: 'thumb-canvas', width: 192, height: 108, 'aria-hidden': 'true' });
  const placeholder = h('div', { className: 'thumb-placeholder' });
  const el = h(
    'div',
    attrs,
    h('div', { className: 'thumb' }, thumb, placeholder, slot, actions),
    h('div', { className: 'meta' }, h('span', { className: 'state-dot', 'aria-hidden': 'true' }), name, stateLabel),
    cpu,
  );
  return { key, el, thumb, placeholder, name, stateLabel, slot, actions, cpu, actionsSig: '', look: '' };
}

/** A running guest with no display is not off: say so plainly instead of offering to start it. */
function placeholderFor(g: GuestInfo): { look: string; content: () => Node[] } {
  if (!g.hasVnc && (g.state === 'running' || g.state === 'paused' || g.state === 'blocked'))
    return { look: 'no-display', content: () => [h('span', { className: 'no-display' }, 'no display')] };
  return { look: 'start', content: () => [icon('start')] };
}

export function updateCard(
  c: Card,
  g: GuestInfo,
  slot: number | undefined,
  cpuPercent: number | undefined,
  onAction: (a: GuestAction, key: string) => void,
  /** Whether it is moving to another host, "Move to host…" when it can, and whether another viewer holds its screen. */
  move: { moving: boolean; onMove: ((key: string) => void) | undefined; screenElsewhere?: boolean } = {
    moving: false,
    onMove: undefined,
  },
): void {
  const d = c.el.dataset;
  if (d.uuid !== g.uuid) d.uuid = g.uuid;
  if (d.name !== g.name) d.name = g.name;
  if (d.host !== g.host) d.host = g.host;
  if (d.state !== g.state) d.state = g.state;
  const slotText = slot ? String(slot) : '';
  if ((d.slot ?? '') !== slotText) {
    if (slot) d.slot = slotText;
    else delete d.slot;
  }
  c.slot.textContent = slotText;
  c.slot.hidden = !slot;
  if (c.name.textContent !== g.name) c.name.textContent = g.name;
  c.name.title = g.name;
  const elsewhere = !!move.screenElsewhere && g.state === 'running' && !move.moving;
  const label = elsewhere ? 'shown elsewhere' : stateLabel(g, move.moving);
  // A line has room for one word: for a running guest without a screen, the green dot says running.
  const shown = g.refreshError
    ? 'not current'
    : !c.thumb && !g.hasVnc && g.state === 'running' && !g.busy
      ? 'no display'
      : label;
  if (c.stateLabel.textContent !== shown) c.stateLabel.textContent = shown;
  c.el.classList.toggle('busy', !!g.busy || move.moving);
  c.el.classList.toggle('refresh-error', !!g.refreshError);
  c.el.classList.toggle('screen-elsewhere', elsewhere);
  // A failed re-read is said in words on the card: the whole message on hover and to screen readers.
  if (g.refreshError) c.stateLabel.title = g.refreshError;
  else c.stateLabel.removeAttribute('title');
  c.el.classList.toggle('no-vnc', !g.hasVnc);
  d.look = g.state;
  c.el.setAttribute(
    'aria-label',
    `${g.name}, ${label}${!g.hasVnc && g.state === 'running' ? ', no display' : ''}${slot ? `, slot ${slot}` : ''}` +
      (g.refreshError ? `. ${g.refreshError}` : ''),
  );
  const ph = placeholderFor(g);
  if (c.placeholder && c.look !== ph.look) {
    c.look = ph.look;
    c.placeholder.replaceChildren(...ph.content());
  }
  const acts = actionsFor(g);
  const sig = `${acts.join(',')}|${!!move.onMove}|${g.name}`;
  if (sig !== c.actionsSig) {
    c.actionsSig = sig;
    const onMove = move.onMove;
    const moveButton = onMove
      ? [iconButton('move', `Move ${g.name} to host…`, () => onMove(g.uuid), { tabindex: -1 })]
      : [];
    c.actions.replaceChildren(...acts.map((a) => actionButton(a, g, onAction)), ...moveButton);
  }
  c.cpu.style.setProperty(
    '--cpu',
    `${cpuPercent !== undefined && g.state === 'running' ? Math.round(cpuPercent) : 0}%`,
  );
}

function actionButton(a: GuestAction, g: GuestInfo, onAction: (a: GuestAction, key: string) => void): HTMLElement {
  const shortcut =
    a === 'delete'
      ? 'Delete'
      : Object.entries(ACTION_KEYS)
          .find(([, x]) => x === a)?.[0]
          ?.toUpperCase();
  return iconButton(a, `${ACTION_LABELS[a]} ${g.name}${shortcut ? ` (${shortcut})` : ''}`, () => onAction(a, g.uuid), {
    'data-action': a,
    tabindex: -1,
  });
}

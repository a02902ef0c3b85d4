/**
 * The switcher strip: every guest of every host, grouped by host, each with a live thumbnail,
 * its state, its slot number and its actions; drag to reorder. Keyed updates: a guest's card is
 * made once (keyed by UUID, so it moves to the new host's group with its thumbnail when the guest
 * moves) and then only its changed parts are touched.
 */
import type { GuestAction, GuestInfo, HostInfo } from '../../../common/contract.js';
import { slots } from '../../../common/order.js';
import type { Store } from '../state/store.js';
import { actionsFor, ACTION_KEYS, ACTION_LABELS, stateLabel } from './actions.js';
import { h, icon, iconButton } from './dom.js';

export interface StripHooks {
  select(key: string): void;
  action(action: GuestAction, key: string): void;
  reorder(moved: string, before: string | undefined): void;
  retryHost(uri: string): void;
  /** "Move to host…" for this guest. */
  move(key: string): void;
  /** Opens settings (where hosts are added). */
  settings(): void;
}

interface Card {
  el: HTMLLIElement;
  thumb: HTMLCanvasElement;
  name: HTMLSpanElement;
  stateLabel: HTMLSpanElement;
  slot: HTMLSpanElement;
  actions: HTMLDivElement;
  cpu: HTMLDivElement;
  actionsSig: string;
}

export function hostLabel(uri: string): string {
  const m = /^([a-z0-9]+)(?:\+([a-z0-9]+))?:\/\/(?:([^@/]*)@)?([^/?]*)(\/[^?]*)?/i.exec(uri);
  if (!m) return uri;
  const host = m[4] || 'this computer';
  const path = m[5] === '/system' ? '' : m[5] === '/session' ? ' (session)' : (m[5] ?? '');
  return `${m[3] ? `${m[3]}@` : ''}${host}${path}`;
}

const STATUS_TEXT: Record<HostInfo['status'], string> = {
  connecting: 'connecting…',
  connected: 'connected',
  reconnecting: 'reconnecting…',
  failed: 'not connected',
};

export class Strip {
  readonly element = h('aside', { className: 'strip', 'aria-label': 'Guests' });
  private readonly list = h('div', { className: 'host-groups' });
  private readonly cards = new Map<string, Card>();
  private readonly groups = new Map<string, { el: HTMLElement; header: HTMLElement; list: HTMLUListElement }>();
  private activeKey: string | undefined;
  private dragKey: string | undefined;
  /** More than one host: guests can move. */
  canMove = false;

  constructor(
    private readonly store: Store,
    private readonly hooks: StripHooks,
  ) {
    const footer = h(
      'div',
      { className: 'strip-footer' },
      h('button', { type: 'button', className: 'add-host', onclick: () => hooks.settings() }, icon('plus'), 'Add host'),
      iconButton('settings', 'Settings', () => hooks.settings()),
    );
    this.element.append(
      h('div', { className: 'brand' }, h('span', { className: 'logo' }, icon('osd')), h('span', {}, 'virtswitch')),
      this.list,
      footer,
    );
  }

  /** The thumbnail canvas of a guest's card, for the painter. */
  thumbnail(key: string): HTMLCanvasElement | undefined {
    return this.cards.get(key)?.thumb;
  }

  setActive(key: string | undefined): void {
    if (this.activeKey) {
      const old = this.cards.get(this.activeKey);
      old?.el.classList.remove('active');
      old?.el.setAttribute('aria-selected', 'false');
    }
    this.activeKey = key;
    const c = key ? this.cards.get(key) : undefined;
    c?.el.classList.add('active');
    c?.el.setAttribute('aria-selected', 'true');
  }

  render(): void {
    const ordered = this.store.ordered();
    const slotOf = slots(ordered);
    const seen = new Set<string>();
    const hostUris = this.store.hosts.map((h) => h.uri);
    for (const host of this.store.hosts)
      this.renderGroup(
        host,
        ordered.filter((g) => g.host === host.uri),
        slotOf,
        seen,
      );
    for (const [uri, g] of this.groups) {
      if (!hostUris.includes(uri)) {
        g.el.remove();
        this.groups.delete(uri);
      }
    }
    for (const [key, c] of this.cards) {
      if (!seen.has(key)) {
        c.el.remove();
        this.cards.delete(key);
      }
    }
    // Groups in the order hosts were added.
    this.list.replaceChildren(...this.store.hosts.map((host) => this.groups.get(host.uri)!.el));
  }

  private renderGroup(host: HostInfo, guests: GuestInfo[], slotOf: Map<string, number>, seen: Set<string>): void {
    let g = this.groups.get(host.uri);
    if (!g) {
      const header = h('header', { className: 'host-header' });
      const list = h('ul', {
        className: 'guest-list',
        role: 'listbox',
        'aria-label': `Guests on ${hostLabel(host.uri)}`,
      });
      list.addEventListener('dragover', (ev) => {
        if (this.dragKey) ev.preventDefault();
      });
      list.addEventListener('drop', (ev) => {
        ev.preventDefault();
        if (this.dragKey && ev.target === list) this.hooks.reorder(this.dragKey, undefined);
      });
      g = { el: h('section', { className: 'host-group', 'data-host-group': host.uri }, header, list), header, list };
      this.groups.set(host.uri, g);
    }
    const stateClass = `host-${host.status}`;
    g.el.className = `host-group ${stateClass}`;
    const facts = host.facts
      ? `libvirt ${host.facts.libvirtVersion} · ${host.facts.hypervisor} ${host.facts.hypervisorVersion} · ${host.facts.cpus} CPUs${host.facts.kvm ? ' · KVM' : ' · no KVM'}`
      : '';
    g.header.replaceChildren(
      h('span', { className: `dot ${stateClass}`, 'aria-hidden': 'true' }),
      h('span', { className: 'host-name', title: `${host.uri}${facts ? `\n${facts}` : ''}` }, hostLabel(host.uri)),
      h('span', { className: 'host-status' }, STATUS_TEXT[host.status]),
    );
    if (host.status !== 'connected' && host.status !== 'connecting')
      g.header.append(
        iconButton('retry', `Connect to ${hostLabel(host.uri)} now`, () => this.hooks.retryHost(host.uri)),
      );
    if (host.error && host.status !== 'connected') {
      g.header.append(h('p', { className: 'host-error', role: 'status' }, host.error));
    }
    const children: HTMLElement[] = [];
    for (const guest of guests) {
      const key = guest.uuid;
      seen.add(key);
      const card = this.cards.get(key) ?? this.makeCard(key);
      this.updateCard(card, guest, slotOf.get(key));
      children.push(card.el);
    }
    if (guests.length === 0 && host.status === 'connected')
      children.push(h('li', { className: 'empty' }, 'No guests on this host'));
    // Only touch the DOM when the order changed.
    const current = [...g.list.children];
    if (current.length !== children.length || current.some((c, i) => c !== children[i]))
      g.list.replaceChildren(...children);
  }

  private makeCard(key: string): Card {
    const thumb = h('canvas', { className: 'thumb-canvas', width: 192, height: 108, 'aria-hidden': 'true' });
    const slot = h('span', { className: 'slot', 'aria-hidden': 'true' });
    const actions = h('div', { className: 'card-actions' });
    const name = h('span', { className: 'name' });
    const stateLabel = h('span', { className: 'state-label' });
    const cpu = h('div', { className: 'cpu-bar', 'aria-hidden': 'true' });
    const el = h(
      'li',
      {
        className: 'guest-card',
        'data-testid': 'guest',
        role: 'option',
        tabindex: 0,
        draggable: 'true',
        'aria-selected': 'false',
      },
      h(
        'div',
        { className: 'thumb' },
        thumb,
        h('div', { className: 'thumb-placeholder' }, icon('start')),
        slot,
        actions,
      ),
      h('div', { className: 'meta' }, h('span', { className: 'state-dot', 'aria-hidden': 'true' }), name, stateLabel),
      cpu,
    );
    el.addEventListener('click', () => this.hooks.select(key));
    el.addEventListener('keydown', (ev) => this.onCardKey(el, key, ev));
    this.makeDraggable(el, key);
    const card: Card = { el, thumb, name, stateLabel, slot, actions, cpu, actionsSig: '' };
    this.cards.set(key, card);
    return card;
  }

  /** Keys on a focused card: Enter or Space switches, a letter runs an action, the arrows move along. */
  private onCardKey(el: HTMLElement, key: string, ev: KeyboardEvent): void {
    if (ev.target !== el) return;
    if (ev.key === 'Enter' || ev.key === ' ') {
      ev.preventDefault();
      this.hooks.select(key);
    } else if (!ev.ctrlKey && !ev.altKey && !ev.metaKey && (ACTION_KEYS[ev.key.toLowerCase()] || ev.key === 'Delete')) {
      // Action shortcuts on a focused card: only the actions its state offers.
      const g = this.store.guest(key);
      const a = ev.key === 'Delete' ? 'delete' : ACTION_KEYS[ev.key.toLowerCase()]!;
      if (g && actionsFor(g).includes(a)) {
        ev.preventDefault();
        this.hooks.action(a, key);
      }
    } else if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      ev.preventDefault();
      const all = [...this.element.querySelectorAll<HTMLElement>('[data-testid="guest"]')];
      const i = all.indexOf(el);
      all[Math.max(0, Math.min(all.length - 1, i + (ev.key === 'ArrowDown' ? 1 : -1)))]?.focus();
    }
  }

  /** Drag a card before another of the same host to reorder. */
  private makeDraggable(el: HTMLElement, key: string): void {
    el.addEventListener('dragstart', (ev) => {
      this.dragKey = key;
      el.classList.add('dragging');
      ev.dataTransfer?.setData('text/plain', key);
      if (ev.dataTransfer) ev.dataTransfer.effectAllowed = 'move';
    });
    el.addEventListener('dragend', () => {
      this.dragKey = undefined;
      el.classList.remove('dragging');
      for (const c of this.element.querySelectorAll('.drop-before')) c.classList.remove('drop-before');
    });
    el.addEventListener('dragover', (ev) => {
      if (!this.dragKey || this.dragKey === key) return;
      const moved = this.store.guest(this.dragKey);
      if (moved?.host !== this.store.guest(key)?.host) return;
      ev.preventDefault();
      el.classList.add('drop-before');
    });
    el.addEventListener('dragleave', () => el.classList.remove('drop-before'));
    el.addEventListener('drop', (ev) => {
      ev.preventDefault();
      ev.stopPropagation();
      el.classList.remove('drop-before');
      if (this.dragKey && this.dragKey !== key) this.hooks.reorder(this.dragKey, key);
    });
  }

  private updateCard(c: Card, g: GuestInfo, slot: number | undefined): void {
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
    const moving = !!this.store.moving(g.uuid);
    const label = stateLabel(g, moving);
    if (c.stateLabel.textContent !== label) c.stateLabel.textContent = label;
    c.el.classList.toggle('busy', !!g.busy || moving);
    c.el.dataset.look = g.state;
    c.el.setAttribute('aria-label', `${g.name}, ${label}${slot ? `, slot ${slot}` : ''}`);
    const acts = actionsFor(g);
    const sig = `${acts.join(',')}|${this.canMove}|${g.name}`;
    if (sig !== c.actionsSig) {
      c.actionsSig = sig;
      const move = iconButton('move', `Move ${g.name} to host…`, () => this.hooks.move(g.uuid), { tabindex: -1 });
      c.actions.replaceChildren(
        ...acts.map((a) => {
          const shortcut =
            a === 'delete'
              ? 'Delete'
              : Object.entries(ACTION_KEYS)
                  .find(([, x]) => x === a)?.[0]
                  ?.toUpperCase();
          return iconButton(
            a,
            `${ACTION_LABELS[a]} ${g.name}${shortcut ? ` (${shortcut})` : ''}`,
            () => this.hooks.action(a, g.uuid),
            { 'data-action': a, tabindex: -1 },
          );
        }),
        ...(this.canMove ? [move] : []),
      );
    }
    const stats = this.store.stats.get(g.uuid)?.at(-1);
    c.cpu.style.setProperty('--cpu', `${stats && g.state === 'running' ? Math.round(stats.cpuPercent) : 0}%`);
  }

  /** Updates only the CPU bars (stats arrive every few seconds). */
  renderStats(): void {
    for (const [key, c] of this.cards) {
      const g = this.store.guest(key);
      const s = this.store.stats.get(key)?.at(-1);
      c.cpu.style.setProperty('--cpu', `${s && g?.state === 'running' ? Math.round(s.cpuPercent) : 0}%`);
    }
  }
}

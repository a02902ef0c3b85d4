/**
 * Smaller parts of the strip: a host's header (name, state, fold, retry), the keys a focused card
 * answers to, and the strip's own remembered choices (folded hosts, list or cards).
 */
import type { GuestAction, GuestInfo, HostInfo } from '../../../common/contract.js';
import { hostLabel } from '../state/host-label.js';
import { hostProblem, type StripMode } from '../state/strip-layout.js';
import { ACTION_KEYS, actionsFor } from './actions.js';
import { h, iconButton } from './dom.js';

const STATUS_TEXT: Record<HostInfo['status'], string> = {
  connecting: 'connecting…',
  connected: 'connected',
  reconnecting: 'reconnecting…',
  failed: 'not connected',
};

export interface HostRow {
  host: HostInfo;
  total: number;
  shown: number;
  folded: boolean;
}

/** A host's header row; `el` (the one made before, if any) is filled again in place. */
export function hostHeader(
  row: HostRow,
  el: HTMLElement | undefined,
  on: { retry(uri: string): void; fold(uri: string): void; menu?: HTMLElement },
): HTMLElement {
  const { host } = row;
  const label = hostLabel(host.uri);
  const header = el ?? h('div', { className: 'strip-row host-header', role: 'presentation' });
  header.dataset.hostGroup = host.uri;
  header.classList.toggle('folded', row.folded);
  const stateClass = `host-${host.status}`;
  const facts = host.facts
    ? `${host.facts.hostname} · libvirt ${host.facts.libvirtVersion} · ${host.facts.hypervisor} ${host.facts.hypervisorVersion} · ${host.facts.cpus} CPUs${host.facts.kvm ? ' · KVM' : ' · no KVM'}`
    : '';
  const count = row.shown === row.total ? `${row.total}` : `${row.shown}/${row.total}`;
  const fold = iconButton(
    row.folded ? 'unfold' : 'fold',
    `${row.folded ? 'Unfold' : 'Fold'} ${label}`,
    () => on.fold(host.uri),
    {
      'aria-expanded': String(!row.folded),
      className: 'icon-button fold',
    },
  );
  header.replaceChildren(
    fold,
    h('span', { className: `dot ${stateClass}`, 'aria-hidden': 'true' }),
    h('span', { className: 'host-name', title: `${host.uri}${facts ? `\n${facts}` : ''}` }, label),
    h('span', { className: 'host-count', title: `${count} guests` }, count),
    h('span', { className: 'host-status' }, STATUS_TEXT[host.status]),
    on.menu ?? '',
  );
  if (host.status !== 'connected' && host.status !== 'connecting')
    header.append(iconButton('retry', `Connect to ${label} now`, () => on.retry(host.uri)));
  const problem = hostProblem(host);
  if (problem) header.append(h('p', { className: 'host-error', role: 'status', title: problem }, problem));
  return header;
}

/** What a key on a focused card does: switch to it, run one of its actions, or nothing. */
export function cardKey(ev: KeyboardEvent, g: GuestInfo | undefined): 'select' | GuestAction | undefined {
  if (ev.key === 'Enter' || ev.key === ' ') return 'select';
  if (ev.ctrlKey || ev.altKey || ev.metaKey || !g) return undefined;
  const a = ev.key === 'Delete' ? 'delete' : ACTION_KEYS[ev.key.toLowerCase()];
  return a && actionsFor(g).includes(a) ? a : undefined;
}

const FOLDED = 'virtswitch.strip.folded';
const MODE = 'virtswitch.strip.mode';

/** The strip's remembered choices, kept in this browser's storage (they are about this screen). */
export class StripPrefs {
  readonly folded: Set<string>;
  private chosenMode: StripMode | undefined;

  constructor() {
    this.folded = new Set(read<string[]>(FOLDED) ?? []);
    const m = read<string>(MODE);
    this.chosenMode = m === 'list' || m === 'cards' ? m : undefined;
  }

  /** The mode the user chose, if they did (otherwise the strip picks by the number of guests). */
  get mode(): StripMode | undefined {
    return this.chosenMode;
  }

  set mode(m: StripMode | undefined) {
    this.chosenMode = m;
    write(MODE, m);
  }

  toggleFold(uri: string): void {
    if (!this.folded.delete(uri)) this.folded.add(uri);
    write(FOLDED, [...this.folded]);
  }
}

function read<T>(key: string): T | undefined {
  try {
    const v = localStorage.getItem(key);
    return v === null ? undefined : (JSON.parse(v) as T);
  } catch {
    return undefined;
  }
}

function write(key: string, v: unknown): void {
  try {
    if (v === undefined) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(v));
  } catch {
    // Storage may be unavailable (private mode); the choice then lasts as long as the page.
  }
}

/** The settings dialog: hosts (list, test, add, remove), hotkeys, and the display choices. */
import {
  HOTKEY_ACTIONS,
  type Bridge,
  type HostInfo,
  type HotkeyAction,
  type Settings,
} from '../../../common/contract.js';
import {
  describeBinding,
  formatBinding,
  MODIFIER_CODES,
  parseBinding,
  validateHotkeys,
} from '../../../common/hotkeys.js';
import type { Store } from '../state/store.js';
import { confirm, field, showModal } from './dialogs.js';
import { formatBytes, h, iconButton } from './dom.js';
import { SCALING_LABELS, SCALINGS } from './scaling.js';
import { hostLabel } from '../state/host-label.js';
import { hostOptions } from './host-options.js';
import { THEME_LABELS, THEMES } from './theme.js';

type ErrorSink = (e: unknown) => void;

const ACTION_NAMES: Record<HotkeyAction, string> = {
  slot1: 'Switch to slot 1',
  slot2: 'Switch to slot 2',
  slot3: 'Switch to slot 3',
  slot4: 'Switch to slot 4',
  slot5: 'Switch to slot 5',
  slot6: 'Switch to slot 6',
  slot7: 'Switch to slot 7',
  slot8: 'Switch to slot 8',
  slot9: 'Switch to slot 9',
  next: 'Next running guest',
  previous: 'Previous running guest',
  last: 'Back to the last guest',
  osd: 'Open the picker',
  fullscreen: 'Fullscreen on/off',
  palette: 'Action palette (every guest action)',
  details: 'Details panel on/off',
};

/** The double taps offered for the picker (a double tap can't be pressed into a field). */
const OSD_BINDINGS = ['ScrollLock*2', 'Pause*2', 'ControlRight*2', 'AltRight*2'];

/** Captures the next chord pressed in an input, as a binding. */
function hotkeyInput(initial: string, onChange: (v: string) => void, capture: (on: boolean) => void): HTMLInputElement {
  const input = h('input', {
    type: 'text',
    value: describeBinding(initial),
    readonly: true,
    className: 'hotkey-input',
    'data-binding': initial,
  });
  // While this field records keys, the desktop shell must not take them as hotkeys.
  input.addEventListener('focus', () => capture(false));
  input.addEventListener('blur', () => capture(true));
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Tab') return;
    ev.preventDefault();
    ev.stopPropagation();
    if (MODIFIER_CODES.has(ev.code)) return;
    const text = formatBinding({
      ctrl: ev.ctrlKey,
      alt: ev.altKey,
      shift: ev.shiftKey,
      meta: ev.metaKey,
      code: ev.code,
      taps: 1,
    });
    try {
      parseBinding(text);
      input.value = describeBinding(text);
      input.dataset.binding = text;
      input.classList.remove('invalid');
      onChange(text);
    } catch (e) {
      input.value = (e as Error).message;
      input.classList.add('invalid');
    }
  });
  return input;
}

/** One table row per hotkey action; edits land in `hotkeys`, and a clash is reported in `problem`. */
function hotkeyRows(bridge: Bridge, hotkeys: Record<HotkeyAction, string>, problem: HTMLElement): HTMLElement[] {
  return HOTKEY_ACTIONS.map((a) => {
    const input = hotkeyInput(
      hotkeys[a],
      (v) => {
        hotkeys[a] = v;
        problem.textContent = validateHotkeys(hotkeys) ?? '';
      },
      (on) => bridge.captureHotkeys?.(on),
    );
    if (a === 'osd') {
      const select = h(
        'select',
        { onchange: (ev: Event) => (hotkeys.osd = (ev.target as HTMLSelectElement).value) },
        ...OSD_BINDINGS.map((v) => h('option', { value: v, selected: v === hotkeys.osd }, describeBinding(v))),
      );
      return h('tr', {}, h('th', {}, ACTION_NAMES[a]), h('td', {}, select));
    }
    return h('tr', {}, h('th', {}, ACTION_NAMES[a]), h('td', {}, input));
  });
}

/** A select of `values`, each named by `label`, with `selected` chosen. */
function choice<T extends string>(values: readonly T[], label: (v: T) => string, selected: T): HTMLSelectElement {
  return h('select', {}, ...values.map((v) => h('option', { value: v, selected: v === selected }, label(v))));
}

function hostFacts(host: HostInfo): string {
  if (host.status !== 'connected' || !host.facts) return host.error ?? host.status;
  const f = host.facts;
  return `libvirt ${f.libvirtVersion}, ${f.hypervisor} ${f.hypervisorVersion}, ${f.cpus} CPUs, ${formatBytes(f.memoryKiB)}${f.kvm ? ', KVM' : ', no KVM (emulated)'}`;
}

/** The options a host was given outside the window, said plainly: they change what is trusted. */
function optionsNote(uri: string): HTMLElement[] {
  const opts = hostOptions(uri);
  if (opts.length === 0) return [];
  return [
    h('small', { className: 'host-options' }, `Options (set on the command line or in hosts.json): ${opts.join(', ')}`),
  ];
}

/** The configured hosts, each with its state and a Remove button; kept current until `unsubscribe`. */
function hostList(bridge: Bridge, store: Store, fail: ErrorSink): { element: HTMLElement; unsubscribe: () => void } {
  const list = h('ul', { className: 'host-list' });
  const remove = async (uri: string): Promise<void> => {
    const label = hostLabel(uri);
    if (!(await confirm(`Remove ${label}?`, 'virtswitch forgets this host; its guests keep running.', 'Remove')))
      return;
    bridge.invoke('hosts.remove', { host: uri }).catch(fail);
  };
  const render = (): void => {
    list.replaceChildren(
      ...store.hosts.map((host) =>
        h(
          'li',
          { 'data-host-uri': host.uri },
          h('span', { className: `dot host-${host.status}` }),
          h('span', { className: 'host-uri' }, host.uri),
          h('small', {}, hostFacts(host)),
          ...optionsNote(host.uri),
          iconButton('delete', `Remove ${hostLabel(host.uri)}`, () => void remove(host.uri)),
        ),
      ),
    );
  };
  render();
  const unsubscribe = store.subscribe((ch) => {
    if (ch.has('hosts')) render();
  });
  return { element: list, unsubscribe };
}

/** A libvirt URI field with Test connection and Add host. */
function addHostForm(bridge: Bridge, fail: ErrorSink): HTMLElement {
  const uri = h('input', {
    type: 'text',
    placeholder: 'qemu+ssh://user@host/system',
    spellcheck: false,
    autocomplete: 'off',
  });
  const result = h('p', { className: 'hint', role: 'status' });
  const test = h('button', { type: 'button' }, 'Test connection');
  const add = h('button', { type: 'button', className: 'primary' }, 'Add host');
  test.addEventListener('click', () => {
    result.textContent = 'Connecting…';
    bridge.invoke('hosts.test', { uri: uri.value.trim() }).then(
      (f) =>
        (result.textContent = `Reached ${f.hostname}: libvirt ${f.libvirtVersion}, ${f.hypervisor} ${f.hypervisorVersion}, ${f.cpus} CPUs${f.kvm ? ', KVM available' : ', no KVM'}.`),
      (e: unknown) => (result.textContent = e instanceof Error ? e.message : String(e)),
    );
  });
  add.addEventListener('click', () => {
    bridge.invoke('hosts.add', { uri: uri.value.trim() }).then(() => {
      uri.value = '';
      result.textContent = 'Added.';
    }, fail);
  });
  return h(
    'div',
    { className: 'add-host' },
    field(
      'Add a host (libvirt URI)',
      uri,
      'qemu:///system, qemu+ssh://user@host/system, qemu+tls://host/system. Options such as keyfile= or socket= ' +
        'can only be given on the command line or in hosts.json.',
    ),
    h('div', { className: 'buttons left' }, test, add),
    result,
  );
}

export function settingsDialog(bridge: Bridge, store: Store, fail: ErrorSink): void {
  const s = store.settings;
  const hotkeys: Record<HotkeyAction, string> = { ...s.hotkeys };
  const problem = h('p', { className: 'hint error-text', role: 'alert' });
  const scan = h('input', { type: 'number', min: 1, max: 600, value: s.scanIntervalSec });
  const scaling = choice(SCALINGS, (v) => SCALING_LABELS[v].setting, s.defaultScaling);
  const theme = choice(THEMES, (v) => THEME_LABELS[v], s.theme);
  const clip = h('input', { type: 'checkbox', checked: s.guestClipboardToHost });
  const hosts = hostList(bridge, store, fail);
  const save = h('button', { type: 'submit', className: 'primary' }, 'Save');
  const form = h(
    'form',
    { className: 'settings' },
    h('h3', {}, 'Hosts'),
    hosts.element,
    addHostForm(bridge, fail),
    h('h3', {}, 'Hotkeys'),
    h(
      'p',
      { className: 'hint' },
      'Click a field and press the new keys. Keys are matched by position, so they work on any layout.',
    ),
    h('table', { className: 'hotkeys' }, h('tbody', {}, ...hotkeyRows(bridge, hotkeys, problem))),
    problem,
    h('h3', {}, 'Display'),
    field('Scan: seconds on each guest', scan),
    field('Default scaling', scaling),
    field('Theme', theme),
    h('h3', {}, 'Clipboard'),
    field("Copy a guest's clipboard to this computer's at once (else a hint offers it)", clip),
    h('div', { className: 'buttons' }, save),
  );
  const m = showModal({ title: 'Settings', wide: true, testid: 'settings', body: [form], onClose: hosts.unsubscribe });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const bad = validateHotkeys(hotkeys);
    if (bad) {
      problem.textContent = bad;
      return;
    }
    const patch: Partial<Settings> = {
      hotkeys,
      scanIntervalSec: Number(scan.value),
      defaultScaling: scaling.value as Settings['defaultScaling'],
      theme: theme.value as Settings['theme'],
      guestClipboardToHost: clip.checked,
    };
    bridge.invoke('settings.update', patch).then(() => m.close(true), fail);
  });
}

/**
 * The dialogs behind the toolbar: snapshots, CPU and memory, type text, settings (hotkeys, scan,
 * scaling, theme, hosts). Each talks to the app only through the bridge.
 */
import {
  HOTKEY_ACTIONS,
  type Bridge,
  type GuestInfo,
  type HotkeyAction,
  type Settings,
  type SnapshotInfo,
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
import { formatBytes, h, icon, iconButton } from './dom.js';
import { hostLabel } from './strip.js';

type ErrorSink = (e: unknown) => void;
const ref = (g: GuestInfo): { host: string; uuid: string } => ({ host: g.host, uuid: g.uuid });

/** Asks for a snapshot's name and description, then takes it. */
export function takeSnapshotDialog(bridge: Bridge, g: GuestInfo, fail: ErrorSink, done?: () => void): void {
  const stamp = new Date().toISOString().slice(0, 16).replace('T', ' ').replace(':', '.');
  const name = h('input', {
    type: 'text',
    value: `snapshot ${stamp}`,
    maxlength: 100,
    required: true,
    autofocus: true,
  });
  const description = h('textarea', { rows: 3, placeholder: 'What state is the guest in?' });
  const take = h('button', { type: 'submit', className: 'primary' }, 'Take snapshot');
  const form = h(
    'form',
    {},
    field('Name', name),
    field('Description', description),
    h(
      'p',
      { className: 'hint' },
      g.state === 'running' || g.state === 'paused'
        ? "A running guest's memory is saved with the snapshot; the guest pauses while it is taken."
        : 'The guest is off: the snapshot holds its disks.',
    ),
    h('div', { className: 'buttons' }, take),
  );
  const m = showModal({ title: `Snapshot of ${g.name}`, body: [form] });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    take.disabled = true;
    bridge.invoke('guest.snapshotCreate', { ...ref(g), name: name.value.trim(), description: description.value }).then(
      () => {
        m.close(true);
        done?.();
      },
      (e: unknown) => {
        take.disabled = false;
        fail(e);
      },
    );
  });
}

export function snapshotsPanel(bridge: Bridge, g: GuestInfo, fail: ErrorSink): void {
  const list = h('ul', { className: 'snapshot-list' }, h('li', { className: 'muted' }, 'Loading…'));
  const newButton = h('button', { type: 'button', className: 'primary' }, icon('plus'), 'Take snapshot');
  const m = showModal({
    title: `Snapshots of ${g.name}`,
    wide: true,
    testid: 'snapshots',
    body: [h('div', { className: 'buttons left' }, newButton), list],
  });
  const reload = (): void => {
    bridge.invoke('guest.snapshots', ref(g)).then((snaps) => render(snaps), fail);
  };
  const render = (snaps: SnapshotInfo[]): void => {
    if (snaps.length === 0) {
      list.replaceChildren(
        h(
          'li',
          { className: 'muted' },
          "No snapshots yet. A snapshot keeps the guest's disks (and memory, if it runs) so you can come back to this moment.",
        ),
      );
      return;
    }
    list.replaceChildren(
      ...snaps.map((s) =>
        h(
          'li',
          { className: `snapshot${s.current ? ' current' : ''}`, 'data-snapshot': s.name },
          h(
            'div',
            { className: 'snap-main' },
            h('strong', {}, s.name),
            s.current ? h('span', { className: 'badge' }, 'current') : null,
            h('small', {}, `${new Date(s.createdAt).toLocaleString()} · guest was ${s.state}`),
            s.description ? h('p', {}, s.description) : null,
          ),
          h(
            'div',
            { className: 'snap-actions' },
            h('button', { type: 'button', 'data-snapshot-action': 'revert', onclick: () => void revert(s) }, 'Revert'),
            h(
              'button',
              {
                type: 'button',
                className: 'danger-text',
                'data-snapshot-action': 'delete',
                onclick: () => void remove(s),
              },
              'Delete',
            ),
          ),
        ),
      ),
    );
  };
  const revert = async (s: SnapshotInfo): Promise<void> => {
    m.close();
    if (
      !(await confirm(
        `Revert ${g.name} to “${s.name}”?`,
        'The guest goes back to that moment; what it did since is lost.',
        'Revert',
      ))
    )
      return;
    bridge.invoke('guest.snapshotRevert', { ...ref(g), name: s.name }).catch(fail);
  };
  const remove = async (s: SnapshotInfo): Promise<void> => {
    m.close();
    if (
      !(await confirm(
        `Delete snapshot “${s.name}”?`,
        'The snapshot is gone for good; the guest itself is not touched.',
        'Delete',
      ))
    )
      return;
    bridge.invoke('guest.snapshotDelete', { ...ref(g), name: s.name }).catch(fail);
  };
  newButton.addEventListener('click', () => {
    m.close();
    takeSnapshotDialog(bridge, g, fail);
  });
  reload();
}

export function resourcesDialog(bridge: Bridge, g: GuestInfo, fail: ErrorSink): void {
  const running = g.state === 'running' || g.state === 'paused' || g.state === 'blocked';
  const maxMiB = Math.floor(g.maxMemoryKiB / 1024);
  const vcpus = h('input', { type: 'number', min: 1, max: g.maxVcpus, value: g.vcpus, required: true });
  const memory = h('input', {
    type: 'number',
    min: 16,
    max: maxMiB,
    step: 16,
    value: Math.round(g.memoryKiB / 1024),
    required: true,
  });
  const live = h('input', { type: 'checkbox', checked: running, disabled: !running });
  const config = h('input', { type: 'checkbox', checked: true });
  const apply = h('button', { type: 'submit', className: 'primary' }, 'Apply');
  const form = h(
    'form',
    {},
    field('vCPUs', vcpus, `1 to ${g.maxVcpus} (the guest's maximum)`),
    field('Memory (MiB)', memory, `up to ${formatBytes(g.maxMemoryKiB)} (the guest's maximum)`),
    h(
      'label',
      { className: 'check' },
      live,
      running ? 'Apply now, to the running guest' : 'Apply now (the guest is not running)',
    ),
    h('label', { className: 'check' }, config, 'Keep for the next start'),
    h('div', { className: 'buttons' }, apply),
  );
  const m = showModal({ title: `CPU and memory of ${g.name}`, testid: 'resources', body: [form] });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    apply.disabled = true;
    const base = { ...ref(g), live: live.checked, config: config.checked };
    const jobs: Promise<unknown>[] = [];
    if (Number(vcpus.value) !== g.vcpus)
      jobs.push(bridge.invoke('guest.setVcpus', { ...base, vcpus: Number(vcpus.value) }));
    if (Number(memory.value) !== Math.round(g.memoryKiB / 1024))
      jobs.push(bridge.invoke('guest.setMemory', { ...base, memoryMiB: Number(memory.value) }));
    Promise.all(jobs).then(
      () => m.close(true),
      (e: unknown) => {
        apply.disabled = false;
        fail(e);
      },
    );
  });
}

/** "Type the clipboard": text typed into the guest as key presses. */
export function typeTextDialog(
  g: GuestInfo,
  type: (text: string) => { skipped: string[] },
  toClipboard: (text: string) => void,
): void {
  const text = h('textarea', { rows: 6, placeholder: 'Paste text here (Ctrl+V), then Type', autofocus: true });
  const go = h('button', { type: 'submit', className: 'primary' }, 'Type into guest');
  const clip = h(
    'button',
    { type: 'button', title: 'For guests whose VNC display shares a clipboard (a clipboard agent in the guest)' },
    "Put on the guest's clipboard",
  );
  const note = h(
    'p',
    { className: 'hint' },
    'Typed as key presses on a US layout, for guests without a clipboard agent.',
  );
  const form = h('form', {}, field('Text', text), note, h('div', { className: 'buttons' }, clip, go));
  clip.addEventListener('click', () => {
    toClipboard(text.value);
    note.textContent = "Sent to the guest's clipboard (it arrives where the guest runs a clipboard agent).";
  });
  const m = showModal({ title: `Type text into ${g.name}`, testid: 'type-text', body: [form] });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const { skipped } = type(text.value);
    if (skipped.length)
      note.textContent = `Typed, except ${skipped.map((c) => JSON.stringify(c)).join(' ')}, which a US keyboard can't type.`;
    else m.close(true);
  });
}

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
};

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

export function settingsDialog(bridge: Bridge, store: Store, fail: ErrorSink): void {
  const s = store.settings;
  const hotkeys: Record<HotkeyAction, string> = { ...s.hotkeys };
  const problem = h('p', { className: 'hint error-text', role: 'alert' });
  const hotkeyRows = HOTKEY_ACTIONS.map((a) => {
    const input = hotkeyInput(
      hotkeys[a],
      (v) => {
        hotkeys[a] = v;
        problem.textContent = validateHotkeys(hotkeys) ?? '';
      },
      (on) => bridge.captureHotkeys?.(on),
    );
    if (a === 'osd') {
      // Double taps can't be pressed into a field; offer the ones that make sense.
      const select = h(
        'select',
        { onchange: (ev: Event) => (hotkeys.osd = (ev.target as HTMLSelectElement).value) },
        ...['ScrollLock*2', 'Pause*2', 'ControlRight*2', 'AltRight*2'].map((v) =>
          h('option', { value: v, selected: v === hotkeys.osd }, describeBinding(v)),
        ),
      );
      return h('tr', {}, h('th', {}, ACTION_NAMES[a]), h('td', {}, select));
    }
    return h('tr', {}, h('th', {}, ACTION_NAMES[a]), h('td', {}, input));
  });
  const scan = h('input', { type: 'number', min: 1, max: 600, value: s.scanIntervalSec });
  const scaling = h(
    'select',
    {},
    ...(['fit', 'actual', 'resize'] as const).map((v) =>
      h(
        'option',
        { value: v, selected: v === s.defaultScaling },
        v === 'fit' ? 'Fit the window' : v === 'actual' ? '1:1' : 'Resize the guest',
      ),
    ),
  );
  const theme = h(
    'select',
    {},
    ...(['system', 'light', 'dark'] as const).map((v) =>
      h(
        'option',
        { value: v, selected: v === s.theme },
        v === 'system' ? 'Follow the system' : v === 'light' ? 'Light' : 'Dark',
      ),
    ),
  );

  const hostList = h('ul', { className: 'host-list' });
  const renderHosts = (): void => {
    hostList.replaceChildren(
      ...store.hosts.map((host) =>
        h(
          'li',
          { 'data-host-uri': host.uri },
          h('span', { className: `dot host-${host.status}` }),
          h('span', { className: 'host-uri' }, host.uri),
          h(
            'small',
            {},
            host.status === 'connected' && host.facts
              ? `libvirt ${host.facts.libvirtVersion}, ${host.facts.hypervisor} ${host.facts.hypervisorVersion}, ${host.facts.cpus} CPUs, ${formatBytes(host.facts.memoryKiB)}${host.facts.kvm ? ', KVM' : ', no KVM (emulated)'}`
              : (host.error ?? host.status),
          ),
          iconButton('delete', `Remove ${hostLabel(host.uri)}`, () => {
            void (async () => {
              if (
                !(await confirm(
                  `Remove ${hostLabel(host.uri)}?`,
                  'virtswitch forgets this host; its guests keep running.',
                  'Remove',
                ))
              )
                return;
              bridge.invoke('hosts.remove', { host: host.uri }).catch(fail);
            })();
          }),
        ),
      ),
    );
  };
  renderHosts();
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
  const unsubscribe = store.subscribe((ch) => {
    if (ch.has('hosts')) renderHosts();
  });

  const save = h('button', { type: 'submit', className: 'primary' }, 'Save');
  const form = h(
    'form',
    { className: 'settings' },
    h('h3', {}, 'Hosts'),
    hostList,
    h(
      'div',
      { className: 'add-host' },
      field('Add a host (libvirt URI)', uri, 'qemu:///system, qemu+ssh://user@host/system, qemu+tls://host/system'),
      h('div', { className: 'buttons left' }, test, add),
      result,
    ),
    h('h3', {}, 'Hotkeys'),
    h(
      'p',
      { className: 'hint' },
      'Click a field and press the new keys. Keys are matched by position, so they work on any layout.',
    ),
    h('table', { className: 'hotkeys' }, h('tbody', {}, ...hotkeyRows)),
    problem,
    h('h3', {}, 'Display'),
    field('Scan: seconds on each guest', scan),
    field('Default scaling', scaling),
    field('Theme', theme),
    h('div', { className: 'buttons' }, save),
  );
  const m = showModal({
    title: 'Settings',
    wide: true,
    testid: 'settings',
    body: [form],
    onClose: () => unsubscribe(),
  });
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
    };
    bridge.invoke('settings.update', patch).then(() => m.close(true), fail);
  });
}

/**
 * The dialogs behind the toolbar: snapshots, CPU and memory, type text (settings are in
 * settings.ts). Each talks to the app only through the bridge.
 */
import type { Bridge, GuestInfo, SnapshotInfo } from '../../../common/contract.js';
import { confirm, field, showModal } from './dialogs.js';
import { formatBytes, h, icon } from './dom.js';

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

const NO_SNAPSHOTS =
  "No snapshots yet. A snapshot keeps the guest's disks (and memory, if it runs) so you can come back to this moment.";

/** One snapshot in the list, with its Revert and Delete buttons. */
function snapshotItem(s: SnapshotInfo, revert: () => void, remove: () => void): HTMLElement {
  return h(
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
      h('button', { type: 'button', 'data-snapshot-action': 'revert', onclick: revert }, 'Revert'),
      h(
        'button',
        { type: 'button', className: 'danger-text', 'data-snapshot-action': 'delete', onclick: remove },
        'Delete',
      ),
    ),
  );
}

/** Reverting to a snapshot, or deleting it, once the user has said yes. */
async function snapshotCommand(
  bridge: Bridge,
  g: GuestInfo,
  s: SnapshotInfo,
  verb: 'revert' | 'delete',
  fail: ErrorSink,
): Promise<void> {
  if (verb === 'revert') {
    const question = `Revert ${g.name} to “${s.name}”?`;
    if (!(await confirm(question, 'The guest goes back to that moment; what it did since is lost.', 'Revert'))) return;
    bridge.invoke('guest.snapshotRevert', { ...ref(g), name: s.name }).catch(fail);
  } else {
    const question = `Delete snapshot “${s.name}”?`;
    if (!(await confirm(question, 'The snapshot is gone for good; the guest itself is not touched.', 'Delete'))) return;
    bridge.invoke('guest.snapshotDelete', { ...ref(g), name: s.name }).catch(fail);
  }
}

/** The guest's snapshots, each to revert to or delete, and a button to take a new one. */
export function snapshotsPanel(bridge: Bridge, g: GuestInfo, fail: ErrorSink): void {
  const list = h('ul', { className: 'snapshot-list' }, h('li', { className: 'muted' }, 'Loading…'));
  const newButton = h('button', { type: 'button', className: 'primary' }, icon('plus'), 'Take snapshot');
  const m = showModal({
    title: `Snapshots of ${g.name}`,
    wide: true,
    testid: 'snapshots',
    body: [h('div', { className: 'buttons left' }, newButton), list],
  });
  // The panel closes first: the confirmation is a dialog of its own, and the list is about to change.
  const act = (s: SnapshotInfo, verb: 'revert' | 'delete') => (): void => {
    m.close();
    void snapshotCommand(bridge, g, s, verb, fail);
  };
  const render = (snaps: SnapshotInfo[]): void =>
    list.replaceChildren(
      ...(snaps.length === 0
        ? [h('li', { className: 'muted' }, NO_SNAPSHOTS)]
        : snaps.map((s) => snapshotItem(s, act(s, 'revert'), act(s, 'delete')))),
    );
  newButton.addEventListener('click', () => {
    m.close();
    takeSnapshotDialog(bridge, g, fail);
  });
  bridge.invoke('guest.snapshots', ref(g)).then((snaps) => render(snaps), fail);
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
  /** The console the text goes to: its clipboard, or why it has none (`noClipboard`). */
  target: { pasteClipboard(text: string): void; readonly noClipboard?: string } | undefined,
): void {
  const noClipboard = target?.noClipboard;
  const text = h('textarea', { rows: 6, placeholder: 'Paste text here (Ctrl+V), then Type', autofocus: true });
  const go = h('button', { type: 'submit', className: 'primary' }, 'Type into guest');
  const clip = h(
    'button',
    {
      type: 'button',
      disabled: noClipboard !== undefined,
      title: noClipboard ?? 'For guests whose VNC display shares a clipboard (a clipboard agent in the guest)',
    },
    "Put on the guest's clipboard",
  );
  const note = h(
    'p',
    { className: 'hint' },
    noClipboard
      ? `Typed as key presses on a US layout. ${noClipboard}`
      : 'Typed as key presses on a US layout, for guests without a clipboard agent.',
  );
  const form = h('form', {}, field('Text', text), note, h('div', { className: 'buttons' }, clip, go));
  clip.addEventListener('click', () => {
    target?.pasteClipboard(text.value);
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

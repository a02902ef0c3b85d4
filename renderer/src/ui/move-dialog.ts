/**
 * "Move to host…": pick the host, say how (live or offline follows the guest's state; copy
 * storage; where the definition lives; tuning for slow links), then Move. The move itself and its
 * progress are the caller's.
 */
import type { GuestInfo, HostInfo, MigrateOptions } from '../../../common/contract.js';
import { defaultMoveForm, moveMode, moveOptions, moveTargets, type MoveForm } from '../state/migration.js';
import { field, showModal } from './dialogs.js';
import { h } from './dom.js';
import { hostLabel } from './strip.js';

const check = (checked: boolean, disabled = false): HTMLInputElement =>
  h('input', { type: 'checkbox', checked, disabled });

function targetOption(host: HostInfo): HTMLOptionElement {
  const name = host.facts?.hostname;
  return h('option', { value: host.uri }, `${hostLabel(host.uri)}${name ? ` (${name})` : ''}`);
}

function modeHint(g: GuestInfo, mode: MigrateOptions['mode'] | undefined, copyStorage: boolean): string {
  if (mode === 'live')
    return `Live: ${g.name} keeps running while its ${copyStorage ? 'disks and memory are' : 'memory is'} copied, and its screen, keyboard and slot follow it.`;
  if (mode === 'offline') return `Offline: ${g.name} is off, so only its definition moves.`;
  return `${g.name} is ${g.state}: it can move once it runs or is shut off.`;
}

/** What "copy storage" asks of the target, shown while it is ticked. */
const COPY_STORAGE_HINT =
  'Each disk is copied to the same path on the target, into a storage pool there that holds that folder.';

/** The fields for slow or unusual links, folded away. */
function tuning(live: boolean): { element: HTMLElement; read: () => Partial<MoveForm> } {
  const downtime = h('input', { type: 'number', min: 1, step: 1, placeholder: 'libvirt’s default (300)' });
  const bandwidth = h('input', { type: 'number', min: 1, step: 1, placeholder: 'no limit' });
  const postCopy = check(false, !live);
  const address = h('input', { type: 'text', placeholder: 'the target’s hostname', maxlength: 255 });
  const element = h(
    'details',
    { className: 'move-tuning' },
    h('summary', {}, 'Tuning'),
    field('Maximum downtime (ms)', downtime, 'The longest pause allowed when the guest switches over.'),
    field('Bandwidth limit (MiB/s)', bandwidth),
    h('label', { className: 'check' }, postCopy, 'Switch to post-copy if copying does not catch up'),
    field(
      'Send to address',
      address,
      'Where the source host sends the guest, when the target’s name does not reach it.',
    ),
  );
  if (!live) for (const i of element.querySelectorAll('input')) i.disabled = true;
  return {
    element,
    read: () => ({
      maxDowntimeMs: downtime.value,
      bandwidthMiBs: bandwidth.value,
      postCopy: postCopy.checked,
      migrationAddress: address.value,
    }),
  };
}

/** Opens the dialog; `move` gets the options once the user presses Move. */
export function moveDialog(g: GuestInfo, hosts: readonly HostInfo[], move: (o: MigrateOptions) => void): void {
  const targets = moveTargets(g, hosts);
  const mode = moveMode(g);
  const defaults = defaultMoveForm(targets);
  const target = h('select', { required: true }, ...targets.map(targetOption));
  const copyStorage = check(defaults.copyStorage, mode !== 'live');
  const persistent = check(defaults.persistent);
  const undefineSource = check(defaults.undefineSource);
  const more = tuning(mode === 'live');
  const problem = h('p', { className: 'error-text', role: 'alert', hidden: true });
  const modeLine = h('p', { className: 'hint move-mode', 'data-mode': mode ?? 'none' });
  const copyHint = h('p', { className: 'hint move-copy-hint' }, COPY_STORAGE_HINT);
  const showCopy = (): void => {
    modeLine.textContent = modeHint(g, mode, copyStorage.checked);
    copyHint.hidden = !copyStorage.checked;
  };
  copyStorage.addEventListener('change', showCopy);
  showCopy();
  const go = h('button', { type: 'submit', className: 'primary', disabled: !targets.length || !mode }, 'Move');
  const form = h(
    'form',
    { className: 'move-form' },
    targets.length
      ? field('Target host', target)
      : h('p', { className: 'hint' }, 'No other host is connected. Add one in Settings, then move the guest there.'),
    modeLine,
    h('label', { className: 'check' }, copyStorage, 'Copy storage (the hosts share no storage)'),
    copyHint,
    h('label', { className: 'check' }, persistent, 'Keep the definition on the target'),
    h('label', { className: 'check' }, undefineSource, `Remove it from ${hostLabel(g.host)}`),
    more.element,
    problem,
    h('div', { className: 'buttons' }, go),
  );
  const m = showModal({ title: `Move ${g.name} to another host`, testid: 'move', body: [form] });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f: MoveForm = {
      ...defaults,
      target: target.value,
      copyStorage: copyStorage.checked,
      persistent: persistent.checked,
      undefineSource: undefineSource.checked,
      ...more.read(),
    };
    try {
      const o = moveOptions(g, f);
      m.close(true);
      move(o);
    } catch (e) {
      problem.textContent = e instanceof Error ? e.message : String(e);
      problem.hidden = false;
    }
  });
}

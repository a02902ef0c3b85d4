/**
 * The rest of a guest's life: Clone (a stopped guest, new name, with progress) and Delete with
 * storage (the confirmation lists its disks with their paths, each kept or removed; NVRAM,
 * snapshots and a managed-save image; a disk another guest uses is never removed, and says why).
 */
import type { AppEvent, Bridge, DeletePlan, GuestInfo, GuestRef, JobInfo } from '../../../common/contract.js';
import { field, showModal } from './dialogs.js';
import { h } from './dom.js';
import { progressView } from './jobs.js';

type Fail = (e: unknown, title?: string) => void;

export function cloneDialog(bridge: Bridge, g: GuestInfo, activate: (ref: GuestRef) => void, fail: Fail): void {
  const name = h('input', { type: 'text', value: `${g.name}-clone`, 'aria-label': 'Name of the clone' });
  const error = h('p', { className: 'inline-error', role: 'alert', 'data-testid': 'error', hidden: true });
  const jobs = h('div', { className: 'jobs' });
  const go = h('button', { type: 'button', className: 'primary' }, 'Clone');
  const m = showModal({
    title: `Clone ${g.name}`,
    testid: 'clone',
    body: [
      h(
        'p',
        { className: 'detail' },
        'The clone gets a new UUID and new MAC addresses; its disks are copied in their pools.',
      ),
      field('Name', name),
      jobs,
      error,
      h('div', { className: 'buttons' }, go),
    ],
  });
  go.addEventListener('click', () => {
    const view = progressView(`Cloning ${g.name}`);
    view.busy('Copying the disks…');
    jobs.replaceChildren(view.element);
    go.disabled = true;
    const label = `Cloning ${g.name} as ${name.value.trim()}`;
    const stop = bridge.subscribe(
      () => undefined,
      (ev: AppEvent) => {
        if (ev.type === 'job' && ev.job.kind === 'clone' && ev.job.label === label) view.update(ev.job as JobInfo);
      },
    );
    bridge
      .invoke('guest.clone', { host: g.host, uuid: g.uuid, name: name.value.trim() })
      .then((made) => {
        m.close(true);
        activate({ host: made.host, uuid: made.uuid });
      })
      .catch((e: unknown) => {
        jobs.replaceChildren();
        error.hidden = false;
        error.textContent = e instanceof Error ? e.message : String(e);
      })
      .finally(() => {
        stop();
        go.disabled = false;
      });
  });
  void fail;
}

function diskRow(d: DeletePlan['disks'][number]): { row: HTMLElement; box: HTMLInputElement } {
  const shared = d.sharedWith.length > 0;
  const box = h('input', {
    type: 'checkbox',
    'aria-label': `Remove ${d.path}`,
    checked: d.device === 'disk' && !shared,
    disabled: shared || !d.pool,
    'data-path': d.path,
  });
  const why = shared
    ? `kept: ${d.sharedWith.join(', ')} also uses it`
    : !d.pool
      ? 'kept: not in a storage pool'
      : d.device === 'cdrom'
        ? 'CD-ROM'
        : '';
  return {
    box,
    row: h(
      'li',
      {},
      h('label', {}, box, h('code', {}, d.path), ` (${d.target})`),
      why ? h('small', {}, ` ${why}`) : null,
    ),
  };
}

/** Asks which of the guest's storage goes with it, then deletes. Resolves when done or cancelled. */
export async function deleteGuestDialog(bridge: Bridge, g: GuestInfo, fail: Fail): Promise<void> {
  let plan: DeletePlan;
  try {
    plan = await bridge.invoke('guest.deletePlan', { host: g.host, uuid: g.uuid });
  } catch (e) {
    fail(e, `Could not read the disks of ${g.name}`);
    return;
  }
  const rows = plan.disks.map(diskRow);
  const extras = [
    plan.nvram ? 'its UEFI variables (NVRAM)' : '',
    plan.snapshots ? `its ${plan.snapshots} snapshot(s)` : '',
    plan.managedSave ? 'its saved state' : '',
  ].filter(Boolean);
  const yes = h('button', { type: 'button', className: 'danger', 'data-confirm': 'yes' }, 'Delete');
  const no = h('button', { type: 'button', 'data-confirm': 'no' }, 'Cancel');
  const m = showModal({
    title: `Delete ${g.name}?`,
    testid: 'confirm',
    body: (
      [
        h(
          'p',
          { className: 'detail' },
          g.state === 'shutoff'
            ? 'The guest is removed from its host.'
            : 'It is powered off first, then removed from its host.',
        ),
        plan.disks.length ? h('h3', {}, 'Disks: tick those to remove with it') : null,
        h('ul', { className: 'disk-list' }, ...rows.map((r) => r.row)),
        extras.length ? h('p', {}, `Also removed: ${extras.join(', ')}.`) : null,
        h('div', { className: 'buttons' }, no, yes),
      ] as (HTMLElement | null)[]
    ).filter((x): x is HTMLElement => x !== null),
  });
  no.addEventListener('click', () => m.close(false));
  yes.addEventListener('click', () => {
    const removeDisks = rows.filter((r) => r.box.checked && !r.box.disabled).map((r) => r.box.dataset['path']!);
    m.close(true);
    bridge
      .invoke('guest.delete', { host: g.host, uuid: g.uuid, force: true, removeDisks })
      .catch((e: unknown) => fail(e, `Could not delete ${g.name}`));
  });
}

/**
 * The Hardware dialog of a guest: its disks, CD drives, network cards and USB devices with what
 * applies now and what at next boot shown apart (both of libvirt's definitions are read), CD
 * insert from the host pools' ISOs and eject, disks, cards and USB devices attached or removed —
 * now, at next boot, or both — and the boot order and menu, which apply at next boot.
 */
import type { Bridge, GuestInfo } from '../../../common/contract.js';
import type { DeviceApply } from '../../../common/guest-devices.js';
import type {
  DevicePlace,
  HardwareView,
  HostUsbDevice,
  PlacedDisk,
  PlacedNic,
} from '../../../common/hardware-contract.js';
import type { Store } from '../state/store.js';
import { showModal } from './dialogs.js';
import { h } from './dom.js';
import { bootSection } from './hardware-boot.js';
import { attachDiskForm, attachNicForm, cdPicker, placeBadge, poolIsos, type IsoChoice } from './hardware-parts.js';
import { usbSection } from './hardware-usb.js';

type Fail = (e: unknown, title?: string) => void;
type Run = <T>(what: string, p: Promise<T>, said?: (r: T) => string) => void;
const live = (g: GuestInfo): boolean => g.state === 'running' || g.state === 'paused' || g.state === 'blocked';

/** The two "when" checkboxes every change honours, kept in step with the guest's state. */
/** How often an open dialog reads the definitions again, for changes no event announces. */
const REREAD_MS = 2000;

function applyChoice(g: GuestInfo): { element: HTMLElement; value(): DeviceApply; sync(v: HardwareView): void } {
  const now = h('input', { type: 'checkbox', checked: live(g), disabled: !live(g), 'data-apply': 'now' });
  const boot = h('input', { type: 'checkbox', checked: g.persistent, disabled: !g.persistent, 'data-apply': 'boot' });
  const element = h(
    'fieldset',
    { className: 'hw-apply' },
    h('legend', {}, 'Changes apply'),
    h('label', {}, now, ' now (the running guest)'),
    h('label', {}, boot, ' at next boot (its definition)'),
  );
  const sync = (v: HardwareView): void => {
    if (now.disabled === v.running) now.checked = v.running;
    now.disabled = !v.running;
    boot.disabled = !v.persistent;
    if (!v.persistent) boot.checked = false;
  };
  return { element, value: () => ({ live: now.checked, config: boot.checked }), sync };
}

export function hardwareDialog(bridge: Bridge, store: Store, first: GuestInfo, fail: Fail): void {
  new HardwareDialog(bridge, store, first, fail).open();
}

class HardwareDialog {
  private readonly ref: { host: string; uuid: string };
  private readonly when: ReturnType<typeof applyChoice>;
  private readonly disks = h('ul', { className: 'hw-list', 'aria-label': 'Disks and CD drives' });
  private readonly nics = h('ul', { className: 'hw-list', 'aria-label': 'Network cards' });
  private readonly status = h('p', { className: 'hint hw-status', role: 'status' });
  private readonly usb;
  private readonly boot;
  private readonly items;
  private view: HardwareView | undefined;
  private hostUsb: HostUsbDevice[] | undefined;
  private usbError: string | undefined;
  private isos: IsoChoice[] = [];
  private asked = 0;
  private drawn = '';
  private lastButton: HTMLElement | null = null;

  constructor(
    private readonly bridge: Bridge,
    private readonly store: Store,
    private readonly first: GuestInfo,
    private readonly fail: Fail,
  ) {
    const ref = (this.ref = { host: first.host, uuid: first.uuid });
    this.when = applyChoice(first);
    const run: Run = (what, p, said) => this.run(what, p, said);
    this.items = itemBuilders(
      bridge,
      ref,
      (place) => this.applyTo(place),
      run,
      () => this.isos,
    );
    this.usb = usbSection(
      (d) =>
        run(
          `Attach ${d.productName ?? d.name}`,
          bridge.invoke('guest.attachUsb', { ...ref, ...this.when.value(), device: d.name }),
        ),
      (u) =>
        run(
          `Detach USB ${u.vendor}:${u.product}`,
          bridge.invoke('guest.detachUsb', {
            ...ref,
            ...this.applyTo(u.place),
            vendor: u.vendor,
            product: u.product,
            ...(u.bus && u.device ? { bus: u.bus, device: u.device } : {}),
          }),
        ),
    );
    this.boot = bootSection((devices, menu) =>
      run('Save the boot order', bridge.invoke('guest.setBoot', { ...ref, devices, menu }), (r) =>
        r.appliesAtNextBoot ? 'Boot order saved: it applies at next boot.' : 'Boot order saved.',
      ),
    );
  }

  /** A device in one definition only is changed there; one in both as the checkboxes say. */
  private applyTo(place: DevicePlace): DeviceApply {
    return place === 'both' ? this.when.value() : { live: place === 'now', config: place === 'next-boot' };
  }

  open(): void {
    const { bridge, ref } = this;
    this.refresh();
    bridge.invoke('host.usbDevices', { host: ref.host }).then(
      (list) => ((this.hostUsb = list), this.draw()),
      (e: unknown) => ((this.usbError = `Could not list the host’s USB devices: ${(e as Error).message}`), this.draw()),
    );
    poolIsos(bridge, ref.host).then(
      (list) => ((this.isos = list), this.draw()),
      () => undefined,
    );
    // Read again when this guest changes (an event, a change from virsh), not for every other guest.
    let seen = this.store.guest(ref.uuid);
    const unsubscribe = this.store.subscribe((ch) => {
      const now = ch.has('guests') ? this.store.guest(ref.uuid) : seen;
      if (now === seen) return;
      seen = now;
      this.refresh();
    });
    // libvirt announces no event when only the stored definition changes (virsh attach-disk
    // --config), so while open the dialog also reads both definitions every few seconds.
    const poll = setInterval(() => this.refresh(false, true), REREAD_MS);
    const run: Run = (what, p, said) => this.run(what, p, said);
    const modal = showModal({
      title: `Hardware of ${this.first.name}`,
      wide: true,
      testid: 'hardware',
      onClose: () => (unsubscribe(), clearInterval(poll)),
      body: [
        this.when.element,
        h(
          'p',
          { className: 'hint hw-legend' },
          'Marked ',
          placeBadge('now'),
          ': in the running guest only. Marked ',
          placeBadge('next-boot'),
          ': in its definition only.',
        ),
        h('h3', {}, 'Disks and CD drives'),
        this.disks,
        attachDiskForm((path, format) =>
          run('Attach the disk', bridge.invoke('guest.attachDisk', { ...ref, ...this.when.value(), path, format })),
        ),
        h('h3', {}, 'Network cards'),
        this.nics,
        attachNicForm((kind, source, model) =>
          run('Add the card', bridge.invoke('guest.attachNic', { ...ref, ...this.when.value(), kind, source, model })),
        ),
        this.usb.element,
        this.boot.element,
        this.status,
      ],
    });
    // The capture phase sees the button before its own handler starts the change.
    modal.element.addEventListener('click', (ev) => (this.lastButton = (ev.target as Element).closest('button')), true);
  }

  /** Redraws the lists when something in them changed (a typed path survives other redraws). */
  private draw(): void {
    const v = this.view;
    if (!v) return;
    const key = JSON.stringify([v, this.hostUsb, this.usbError, this.isos]);
    if (key === this.drawn) return;
    this.drawn = key;
    this.when.sync(v);
    const { diskItem, nicItem } = this.items;
    this.disks.replaceChildren(
      ...(v.disks.length ? v.disks.map(diskItem) : [h('li', { className: 'muted' }, 'No disks')]),
    );
    this.nics.replaceChildren(
      ...(v.nics.length ? v.nics.map(nicItem) : [h('li', { className: 'muted' }, 'No network cards')]),
    );
    this.usb.show(v, this.hostUsb, this.usbError);
    this.boot.show(v);
  }

  /**
   * Reads both definitions again; an older answer arriving late is dropped, and a `quiet` one says
   * nothing when it fails. After a change the button used is kept in view, as the redrawn lists
   * above it may have grown.
   */
  private refresh(afterChange = false, quiet = false): void {
    const n = ++this.asked;
    this.bridge.invoke('guest.hardware', this.ref).then(
      (v) => {
        if (n !== this.asked) return;
        this.view = v;
        this.draw();
        if (afterChange) this.keepButtonInView();
      },
      // A failed re-read on the timer is not news: the first read or a change already said so.
      (e: unknown) => n === this.asked && !quiet && this.fail(e, 'Could not read the hardware'),
    );
  }

  /** The status sits over the dialog's foot: the button just used stays clear of it. */
  private keepButtonInView(): void {
    if (this.lastButton?.isConnected) this.lastButton.scrollIntoView({ block: 'nearest' });
  }

  private run<T>(what: string, p: Promise<T>, said?: (r: T) => string): void {
    this.status.textContent = `${what}…`;
    this.keepButtonInView();
    p.then(
      (r) => {
        this.status.textContent = said ? said(r) : `${what}: done`;
        this.refresh(true);
      },
      (e: unknown) => {
        this.status.textContent = '';
        this.fail(e, `Could not ${what.toLowerCase()}`);
        this.refresh(true);
      },
    );
  }
}

/** What a list entry needs to act on its device. */
interface ItemContext {
  bridge: Bridge;
  ref: { host: string; uuid: string };
  applyTo: (place: DevicePlace) => DeviceApply;
  run: Run;
  isos: () => readonly IsoChoice[];
}

/** One list entry per disk, CD drive and network card, with what can be done to it. */
function itemBuilders(
  bridge: Bridge,
  ref: { host: string; uuid: string },
  applyTo: (place: DevicePlace) => DeviceApply,
  run: Run,
  isos: () => readonly IsoChoice[],
): { diskItem(d: PlacedDisk): HTMLElement; nicItem(n: PlacedNic): HTMLElement } {
  const ctx: ItemContext = { bridge, ref, applyTo, run, isos };
  return { diskItem: (d) => diskItem(ctx, d), nicItem: (n) => nicItem(ctx, n) };
}

function diskItem({ bridge, ref, applyTo, run, isos }: ItemContext, d: PlacedDisk): HTMLElement {
  const next =
    d.nextSource === undefined ? '' : d.nextSource ? ` · at next boot: ${d.nextSource}` : ' · empty at next boot';
  const label = h(
    'span',
    {},
    `${d.target} · ${d.device} on ${d.bus}${d.source ? ` · ${d.source}` : ' · empty'}${next}`,
    placeBadge(d.place),
  );
  const item = (action: HTMLElement): HTMLElement =>
    h('li', { 'data-disk': d.target, 'data-place': d.place }, label, action);
  const button = (text: string, onclick: () => void): HTMLButtonElement =>
    h('button', { type: 'button', onclick }, text);
  if (d.device !== 'cdrom')
    return item(
      button('Detach', () =>
        run(`Detach ${d.target}`, bridge.invoke('guest.detachDisk', { ...ref, ...applyTo(d.place), target: d.target })),
      ),
    );
  const change = (path?: string): Promise<null> =>
    bridge.invoke('guest.changeMedia', { ...ref, ...applyTo(d.place), target: d.target, ...(path ? { path } : {}) });
  if (d.source) return item(button('Eject', () => run(`Eject ${d.target}`, change())));
  const pick = cdPicker(d.target, isos());
  const insert = (): void => {
    const path = pick.value();
    run(
      `Insert into ${d.target}`,
      path ? change(path) : Promise.reject(new Error('Choose an ISO volume or type the path of one')),
    );
  };
  return item(h('span', { className: 'hw-insert' }, pick.element, button('Insert', insert)));
}

function nicItem({ bridge, ref, applyTo, run }: ItemContext, n: PlacedNic): HTMLElement {
  return h(
    'li',
    { 'data-nic': n.mac, 'data-place': n.place },
    h('span', {}, `${n.mac} · ${n.type} ${n.source} · ${n.model}`, placeBadge(n.place)),
    h(
      'button',
      {
        type: 'button',
        onclick: () =>
          run(`Remove ${n.mac}`, bridge.invoke('guest.detachNic', { ...ref, ...applyTo(n.place), mac: n.mac })),
      },
      'Remove',
    ),
  );
}

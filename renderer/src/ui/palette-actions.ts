/**
 * What the action palette lists for the active guest: its power actions, its panels, keys to send
 * and text to type (not while it is view only), the app's own tools, and the other guests to
 * switch to.
 */
import type { Bridge, GuestAction, GuestInfo, HotkeyAction } from '../../../common/contract.js';
import { describeBinding } from '../../../common/hotkeys.js';
import { SEND_KEY_COMBOS } from '../../../common/keycodes.js';
import type { Store } from '../state/store.js';
import { hostLabel } from '../state/host-label.js';
import { actionsFor } from './actions.js';
import { hardwareDialog } from './hardware.js';
import { hostDetailsDialog } from './host-details.js';
import { networksDialog } from './networks.js';
import type { PaletteEntry } from './palette-filter.js';
import { saveScreenshot } from './screenshot.js';
import type { Tool } from './tools.js';
import { inputBlockedWhy } from './view-only.js';
import { xmlEditorDialog } from './xml-editor.js';
import { openClone } from './guest-life-hub.js';

export { ActionPalette } from './palette.js';

type Fail = (e: unknown, title?: string) => void;

/** What the entries run: the app's own ways of doing each thing. */
export interface PaletteApp {
  runAction(a: GuestAction, key: string | undefined): Promise<void>;
  tool(t: Tool): void;
  sendKeys(keys: readonly string[]): void;
  switchTo(key: string): void;
}

export interface PaletteContext {
  app: PaletteApp;
  bridge: Bridge;
  store: Store;
  guest: GuestInfo | undefined;
  canMove: boolean;
  fail: Fail;
}

const PALETTE_LABELS: Record<GuestAction, string> = {
  start: 'Start',
  shutdown: 'Shut down',
  reboot: 'Reboot',
  reset: 'Reset',
  poweroff: 'Force off (power off)',
  pause: 'Pause',
  resume: 'Resume',
  save: 'Save (stop, keeping its memory)',
  snapshot: 'Take snapshot…',
  delete: 'Delete…',
};

const live = (g: GuestInfo): boolean => g.state === 'running' || g.state === 'paused' || g.state === 'blocked';

function guestEntries(c: PaletteContext, g: GuestInfo): PaletteEntry[] {
  const keys = (a: HotkeyAction): string => describeBinding(c.store.settings.hotkeys[a]);
  const entry = (id: string, label: string, group: string, run: () => void, more: Partial<PaletteEntry> = {}) => ({
    id,
    label,
    group,
    run,
    ...more,
  });
  const noInput = inputBlockedWhy(g, c.store.isViewOnly(g.uuid));
  const panel = (id: string, label: string, run: () => void, more?: Partial<PaletteEntry>): PaletteEntry =>
    entry(`panel:${id}`, label, 'Panel', run, more);
  return [
    ...actionsFor(g).map((a) =>
      entry(`action:${a}`, PALETTE_LABELS[a], 'Guest', () => void c.app.runAction(a, g.uuid)),
    ),
    panel('details', 'Details', () => c.app.tool('details'), { keys: keys('details') }),
    panel('hardware', 'Hardware…', () => hardwareDialog(c.bridge, c.store, g, c.fail)),
    panel('edit-xml', 'Edit XML…', () => xmlEditorDialog(c.bridge, g)),
    panel('snapshots', 'Snapshots…', () => c.app.tool('snapshots')),
    panel('resources', 'CPU and memory…', () => c.app.tool('resources')),
    panel('networks', 'Networks…', () => networksDialog(c.bridge, g.host, c.fail)),
    panel('host', `Host details: ${hostLabel(g.host)}…`, () => hostDetailsDialog(c.bridge, g.host, hostLabel(g.host))),
    ...(c.canMove ? [panel('move', 'Move to host…', () => c.app.tool('move'))] : []),
    ...(g.state === 'shutoff' ? [panel('clone', 'Clone…', () => openClone(g))] : []),
    ...(live(g) && g.hasSerial ? [panel('serial', 'Serial console on/off', () => c.app.tool('serial'))] : []),
    ...(live(g) && g.hasVnc
      ? [
          panel('screenshot', 'Screenshot (save a PNG)', () =>
            saveScreenshot(c.bridge, g).catch((e: unknown) => c.fail(e, 'Could not take a screenshot')),
          ),
        ]
      : []),
    entry(
      'input:type-text',
      'Type text…',
      'Keyboard',
      () => c.app.tool('type-text'),
      noInput ? { disabled: noInput } : {},
    ),
    ...SEND_KEY_COMBOS.map((k) =>
      entry(
        `keys:${k.label}`,
        `Send ${k.label}`,
        'Send keys',
        () => c.app.sendKeys(k.keys),
        noInput ? { disabled: noInput } : {},
      ),
    ),
  ];
}

export function paletteEntries(c: PaletteContext): PaletteEntry[] {
  const keys = (a: HotkeyAction): string => describeBinding(c.store.settings.hotkeys[a]);
  const app: PaletteEntry[] = [
    { id: 'app:osd', label: 'Pick a guest', group: 'App', keys: keys('osd'), run: () => c.app.tool('osd') },
    {
      id: 'app:fullscreen',
      label: 'Fullscreen on/off',
      group: 'App',
      keys: keys('fullscreen'),
      run: () => c.app.tool('fullscreen'),
    },
    { id: 'app:scan', label: 'Scan through running guests', group: 'App', run: () => c.app.tool('scan') },
    { id: 'app:settings', label: 'Settings…', group: 'App', run: () => c.app.tool('settings') },
  ];
  const others = c.store
    .ordered()
    .filter((o) => o.uuid !== c.guest?.uuid)
    .map((o) => ({
      id: `switch:${o.uuid}`,
      label: `Switch to ${o.name}`,
      group: 'Switch to',
      run: () => c.app.switchTo(o.uuid),
    }));
  return [...(c.guest ? guestEntries(c, c.guest) : []), ...app, ...others];
}

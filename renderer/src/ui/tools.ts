/** The stage's tools (toolbar buttons and menus) and which of them each desktop-menu panel opens. */
import type { MenuCommand } from '../../../common/contract.js';

export type Tool =
  | 'send-keys'
  | 'type-text'
  | 'serial'
  | 'snapshots'
  | 'resources'
  | 'scan'
  | 'osd'
  | 'fullscreen'
  | 'settings'
  | 'strip'
  | 'screenshot'
  | 'move'
  | 'details';

/** The tool behind each panel the desktop menu opens. */
export const MENU_PANELS: Record<Extract<MenuCommand, { kind: 'open' }>['panel'], Tool> = {
  settings: 'settings',
  snapshots: 'snapshots',
  resources: 'resources',
  'send-keys': 'type-text',
  hosts: 'settings',
  move: 'move',
};

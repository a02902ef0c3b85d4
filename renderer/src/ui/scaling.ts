/** How a guest's screen fits the stage: each mode, in the order menus offer them, with its names. */
import type { Scaling } from '../../../common/contract.js';

export const SCALING_LABELS: Record<Scaling, { menu: string; setting: string }> = {
  fit: { menu: 'Fit the window', setting: 'Fit the window' },
  actual: { menu: '1:1 (scroll)', setting: '1:1' },
  resize: { menu: 'Resize the guest to the window', setting: 'Resize the guest' },
};

export const SCALINGS = Object.keys(SCALING_LABELS) as Scaling[];

/** What a hotkey can do, and the keys each is bound to until the user picks others. Pure. */

export const HOTKEY_ACTIONS = [
  'slot1',
  'slot2',
  'slot3',
  'slot4',
  'slot5',
  'slot6',
  'slot7',
  'slot8',
  'slot9',
  'next',
  'previous',
  'last',
  'osd',
  'fullscreen',
  'palette',
  'details',
] as const;
export type HotkeyAction = (typeof HOTKEY_ACTIONS)[number];

/** Bindings: "Ctrl+Alt+Digit1" (KeyboardEvent.code names), or "ScrollLock*2" for a double tap. */
export const DEFAULT_HOTKEYS: Record<HotkeyAction, string> = {
  slot1: 'Ctrl+Alt+Digit1',
  slot2: 'Ctrl+Alt+Digit2',
  slot3: 'Ctrl+Alt+Digit3',
  slot4: 'Ctrl+Alt+Digit4',
  slot5: 'Ctrl+Alt+Digit5',
  slot6: 'Ctrl+Alt+Digit6',
  slot7: 'Ctrl+Alt+Digit7',
  slot8: 'Ctrl+Alt+Digit8',
  slot9: 'Ctrl+Alt+Digit9',
  next: 'Ctrl+Alt+PageDown',
  previous: 'Ctrl+Alt+PageUp',
  last: 'Ctrl+Alt+Backquote',
  osd: 'ScrollLock*2',
  fullscreen: 'Ctrl+Alt+KeyF',
  /** The action palette: every action on the active guest, reachable while the guest holds the keyboard. */
  palette: 'Ctrl+Alt+KeyP',
  details: 'Ctrl+Alt+KeyD',
};

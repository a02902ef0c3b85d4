/**
 * What a guest shown through its SPICE display (spice-html5) cannot do in the app, in the words
 * the user reads: on the stage's SPICE badge, and in the Type text dialog.
 */

/** Why Type text cannot put text on the guest's clipboard through a SPICE console. */
export const SPICE_NO_CLIPBOARD =
  'A SPICE console here has no shared clipboard (the SPICE client in virtswitch lacks it): the text can only be typed. Add a VNC display to the guest for a clipboard.';

/** Everything the SPICE console lacks, for the badge's tooltip. */
export const SPICE_LIMITS = [
  'Shown through its SPICE display. What that lacks here:',
  '• no shared clipboard (use Send keys → Type text…)',
  '• the guest is not resized to the window: its screen is scaled instead',
  '• no sound, no USB redirection, no smartcard',
  '• only the first monitor of a multi-monitor guest',
  '• screenshots come from QEMU (libvirt), not from this console',
  "• parts of the screen QEMU sends GLZ-compressed stay as they were (the guest's <image compression='off'/> avoids it)",
  'Add a VNC display to the guest to get a clipboard and resizing.',
].join('\n');

/**
 * The desktop app's command line, in the manner of virt-viewer, parsed without side effects:
 *   virtswitch [--connect URI]... [--domain NAME] [--fullscreen] [--kiosk] [--config-dir DIR]
 * Chromium's, Electron's and Node's own switches may share the command line (a user's
 * `--ozone-platform=x11`, a test driver's `--remote-debugging-port=0`); the known ones pass.
 */
import type { LaunchOptions } from '../../common/contract.js';
import { ArgsError, parseFlags, sharedFlags, type Flag } from '../app/args.js';

export { ArgsError };

export interface DesktopArgs {
  connect: string[];
  domain?: string;
  fullscreen: boolean;
  kiosk: boolean;
  configDir?: string;
  help: boolean;
  version: boolean;
}

export const DESKTOP_USAGE = `usage: virtswitch [--connect URI]... [--domain NAME] [--fullscreen] [--kiosk] [--config-dir DIR]

  -c, --connect URI    a libvirt URI to manage (repeatable), e.g. qemu:///system or qemu+ssh://user@host/system;
                       default: the saved hosts, else qemu:///system
  --domain NAME        open straight onto this guest (its name or UUID)
  -f, --fullscreen     start in fullscreen
  -k, --kiosk          fullscreen with minimal chrome, and no leaving it
  --config-dir DIR     where hosts and settings are kept (default $XDG_CONFIG_HOME/virtswitch)
  -h, --help           show this and quit
  -V, --version        show the version and quit`;

/**
 * Switches of Chromium, Electron and Node that this app leaves to them. Only in the `--name` or
 * `--name=value` form, as Chromium writes them; anything else unknown is an error.
 */
const PASSTHROUGH = new Set([
  'no-sandbox',
  'disable-gpu',
  'disable-gpu-sandbox',
  'disable-software-rasterizer',
  'disable-dev-shm-usage',
  'no-zygote',
  'in-process-gpu',
  'enable-logging',
  'log-file',
  'log-level',
  'v',
  'vmodule',
  'ozone-platform',
  'ozone-platform-hint',
  'enable-features',
  'disable-features',
  'enable-wayland-ime',
  'wayland-text-input-version',
  'use-gl',
  'use-angle',
  'force-device-scale-factor',
  'high-dpi-support',
  'lang',
  'user-data-dir',
  'password-store',
  'gtk-version',
  'force-renderer-accessibility',
  'remote-debugging-port',
  'remote-debugging-pipe',
  'remote-allow-origins',
  'inspect',
  'inspect-brk',
  'inspect-port',
  'js-flags',
  'trace-warnings',
]);

const desktopFlags: Flag<DesktopArgs>[] = [
  ...sharedFlags<DesktopArgs>(),
  {
    names: ['--domain'],
    takesValue: true,
    apply: (out, name) => {
      if (out.domain !== undefined) throw new ArgsError('--domain given twice; one window opens onto one guest');
      out.domain = name;
    },
  },
  { names: ['--fullscreen', '--full-screen', '-f'], takesValue: false, apply: (out) => void (out.fullscreen = true) },
  { names: ['--kiosk', '-k'], takesValue: false, apply: (out) => void (out.kiosk = true) },
  { names: ['--version', '-V'], takesValue: false, apply: (out) => void (out.version = true) },
];

/**
 * Parses the arguments after the executable. `appPathFirst`: Electron was started as
 * `electron APP_DIR …` (a development run), so the first bare argument names the app, not an
 * option of ours.
 */
export function parseDesktopArgs(
  argv: readonly string[],
  opts: { appPathFirst: boolean } = { appPathFirst: false },
): DesktopArgs {
  let appPathPending = opts.appPathFirst;
  return parseFlags<DesktopArgs>(
    argv,
    { connect: [], fullscreen: false, kiosk: false, help: false, version: false },
    {
      flags: desktopFlags,
      passes: (raw) => {
        if (raw.startsWith('--')) return PASSTHROUGH.has(raw.slice(2).split('=')[0]!);
        if (raw.startsWith('-') || !appPathPending) return false;
        appPathPending = false;
        return true;
      },
      bareArgumentHint: 'name a guest with --domain NAME; see --help',
    },
  );
}

/** What the renderer hears of the command line. */
export function launchOptionsOf(args: DesktopArgs): LaunchOptions {
  return {
    ...(args.domain !== undefined ? { domain: args.domain } : {}),
    fullscreen: args.fullscreen || args.kiosk,
    kiosk: args.kiosk,
  };
}

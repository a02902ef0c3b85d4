/**
 * The command-line reading both shells share: how a flag takes its value, the flags both have
 * (--connect, --config-dir, --help), and how a bad command line ends the program. Each shell
 * declares its own flags on top (main/electron/args.ts, main/serve/args.ts); parsing has no side
 * effects, so tests reach every rule.
 */

/** A command line that cannot be run as given; its message is one line, for stderr. */
export class ArgsError extends Error {}

/** One flag as a shell declares it: its spellings, and what it does to the parsed options. */
export interface Flag<T> {
  /** `--long` and maybe `-x`; only a long spelling also takes `--long=VALUE`. */
  names: readonly string[];
  /** Takes a value (`--flag VALUE` or `--flag=VALUE`); otherwise a switch, which takes none. */
  takesValue: boolean;
  /** Stores the flag into `out`; `value` is '' for a switch. Throws ArgsError for a bad value. */
  apply(out: T, value: string, flag: string): void;
}

export interface FlagTable<T> {
  flags: readonly Flag<T>[];
  /** An argument no flag claims that is still fine (another program's switch); default none. */
  passes?(raw: string): boolean;
  /** Said after an unexpected bare argument; default: see --help. */
  bareArgumentHint?: string;
}

/** A libvirt URI as people write them: a scheme, then anything. */
const URI = /^[a-z][a-z0-9+.-]*:/i;

/** The flags both shells take: --connect (repeatable), --config-dir, --help. */
export function sharedFlags<T extends { connect: string[]; configDir?: string; help: boolean }>(): Flag<T>[] {
  return [
    {
      names: ['--connect', '-c'],
      takesValue: true,
      apply: (out, uri) => {
        if (!URI.test(uri))
          throw new ArgsError(
            `--connect needs a libvirt URI such as qemu:///system or qemu+ssh://user@host/system, not ${JSON.stringify(uri)}`,
          );
        if (!out.connect.includes(uri)) out.connect.push(uri);
      },
    },
    { names: ['--config-dir'], takesValue: true, apply: (out, dir) => void (out.configDir = dir) },
    { names: ['--help', '-h'], takesValue: false, apply: (out) => void (out.help = true) },
  ];
}

/**
 * Reads `argv` into `out` by the table. A value is never empty and never looks like a flag (so
 * `--connect --kiosk` is a missing value, not a URI); a switch given `=VALUE` is an error; an
 * argument nothing claims is an error.
 */
export function parseFlags<T>(argv: readonly string[], out: T, table: FlagTable<T>): T {
  const byName = new Map(table.flags.flatMap((f) => f.names.map((n) => [n, f] as const)));
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const eq = raw.indexOf('=');
    const long = raw.startsWith('--');
    const flag = long && eq > 0 ? raw.slice(0, eq) : raw;
    const inline = long && eq > 0 ? raw.slice(eq + 1) : undefined;
    const spec = byName.get(flag);
    if (!spec) {
      if (table.passes?.(raw)) continue;
      if (!raw.startsWith('-'))
        throw new ArgsError(`unexpected argument ${JSON.stringify(raw)} (${table.bareArgumentHint ?? 'see --help'})`);
      throw new ArgsError(`unknown option ${JSON.stringify(raw)} (see --help)`);
    }
    if (!spec.takesValue) {
      if (inline !== undefined) throw new ArgsError(`${flag} takes no value`);
      spec.apply(out, '', flag);
      continue;
    }
    const v = inline ?? argv[++i];
    if (v === undefined || (inline === undefined && v.startsWith('-'))) throw new ArgsError(`${flag} needs a value`);
    if (v.trim() === '') throw new ArgsError(`${flag} needs a value, not an empty string`);
    spec.apply(out, v, flag);
  }
  return out;
}

/**
 * Runs a shell's parser; a bad command line is one line on stderr (`virtswitch: …`) and exit
 * status 2, the same in both shells. Returns undefined once `exit` has been called (Electron's
 * app.exit returns before the process ends).
 */
export function parseOrExit<T>(
  parse: () => T,
  exit: (code: number) => void,
  printError: (line: string) => void = (l) => console.error(l),
): T | undefined {
  try {
    return parse();
  } catch (e) {
    if (!(e instanceof ArgsError)) throw e;
    // One line, whatever a value typed into the message held.
    printError(`virtswitch: ${e.message.replace(/[\r\n]+/g, ' ')}`);
    exit(2);
    return undefined;
  }
}

/** The command-line reading both shells share (main/app/args.ts): one parser, one way to fail. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArgsError, parseFlags, parseOrExit, sharedFlags } from '../../main/app/args.js';
import { ArgsError as DesktopArgsError } from '../../main/electron/args.js';
import { ArgsError as ServeArgsError } from '../../main/serve/args.js';

interface Opts {
  connect: string[];
  configDir?: string;
  help: boolean;
}
const parse = (...argv: string[]): Opts =>
  parseFlags<Opts>(argv, { connect: [], help: false }, { flags: sharedFlags<Opts>() });

describe('shell command lines', () => {
  it('both shells throw the one ArgsError', () => {
    assert.equal(DesktopArgsError, ArgsError);
    assert.equal(ServeArgsError, ArgsError);
  });

  it('reads the shared flags in every spelling', () => {
    assert.deepEqual(parse('-c', 'qemu:///system', '--connect=test:///default', '--config-dir=/tmp/x', '-h'), {
      connect: ['qemu:///system', 'test:///default'],
      configDir: '/tmp/x',
      help: true,
    });
  });

  it('a value is never missing, empty or a flag; a switch takes none; nothing unclaimed passes', () => {
    const fails = (argv: string[], want: RegExp): void => {
      assert.throws(
        () => parse(...argv),
        (e: unknown) => e instanceof ArgsError && want.test(e.message),
        argv.join(' '),
      );
    };
    fails(['--config-dir'], /^--config-dir needs a value$/);
    fails(['--config-dir', '-h'], /^--config-dir needs a value$/);
    fails(['--config-dir=  '], /^--config-dir needs a value, not an empty string$/);
    fails(['--help=no'], /^--help takes no value$/);
    fails(['stray'], /^unexpected argument "stray" \(see --help\)$/);
    fails(['--stray'], /^unknown option "--stray" \(see --help\)$/);
  });

  it('bad flags: one line on stderr, then exit status 2; other errors are not swallowed', () => {
    const printed: string[] = [];
    const exits: number[] = [];
    const bad = (): never => {
      throw new ArgsError('--host needs a value\nand a second line');
    };
    assert.equal(
      parseOrExit(
        bad,
        (c) => exits.push(c),
        (l) => printed.push(l),
      ),
      undefined,
    );
    assert.deepEqual(printed, ['virtswitch: --host needs a value and a second line']);
    assert.deepEqual(exits, [2]);
    assert.deepEqual(
      parseOrExit(
        () => parse('--help'),
        (c) => exits.push(c),
        (l) => printed.push(l),
      ),
      { connect: [], help: true },
    );
    assert.deepEqual(exits, [2]);
    assert.throws(
      () =>
        parseOrExit(
          () => {
            throw new TypeError('a bug');
          },
          () => undefined,
        ),
      TypeError,
    );
  });
});

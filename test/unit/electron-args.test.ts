/** The desktop app's command line (main/electron/args.ts) and the guest its --domain names. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArgsError, DESKTOP_USAGE, launchOptionsOf, parseDesktopArgs } from '../../main/electron/args.js';
import { resolveDomain } from '../../common/desktop-api.js';

const parse = (...argv: string[]) => parseDesktopArgs(argv);
const fails = (argv: string[], message: RegExp, opts = { appPathFirst: false }) =>
  assert.throws(
    () => parseDesktopArgs(argv, opts),
    (e: unknown) => e instanceof ArgsError && message.test(e.message) && !e.message.includes('\n'),
  );

describe('desktop command line', () => {
  it('defaults: no hosts named, windowed', () => {
    assert.deepEqual(parse(), { connect: [], fullscreen: false, kiosk: false, help: false, version: false });
  });

  it('--connect is repeatable, in every spelling, without duplicates', () => {
    const a = parse(
      '--connect',
      'qemu:///system',
      '-c',
      'qemu+ssh://me@lab/system',
      '--connect=qemu+tls://h/system',
      '--connect',
      'qemu:///system',
    );
    assert.deepEqual(a.connect, ['qemu:///system', 'qemu+ssh://me@lab/system', 'qemu+tls://h/system']);
  });

  it('--domain, --fullscreen (and virt-viewer spellings), --kiosk, --config-dir', () => {
    const a = parse('--domain', 'web1', '--full-screen', '--kiosk', '--config-dir', '/tmp/vs');
    assert.equal(a.domain, 'web1');
    assert.equal(a.fullscreen, true);
    assert.equal(a.kiosk, true);
    assert.equal(a.configDir, '/tmp/vs');
    assert.equal(parse('-f').fullscreen, true);
    assert.equal(parse('--fullscreen').fullscreen, true);
    assert.equal(parse('-k').kiosk, true);
    assert.equal(parse('--domain=name with spaces').domain, 'name with spaces');
  });

  it('launch options: kiosk means fullscreen; the domain only when given', () => {
    assert.deepEqual(launchOptionsOf(parse('--kiosk')), { fullscreen: true, kiosk: true });
    assert.deepEqual(launchOptionsOf(parse('--domain', 'db')), { domain: 'db', fullscreen: false, kiosk: false });
  });

  it('--help and --version', () => {
    assert.equal(parse('--help').help, true);
    assert.equal(parse('-h').help, true);
    assert.equal(parse('-V').version, true);
    assert.match(DESKTOP_USAGE, /--connect URI/);
    assert.match(DESKTOP_USAGE, /--domain NAME/);
  });

  it('bad flags: one clear line each', () => {
    fails(['--bogus'], /^unknown option "--bogus" \(see --help\)$/);
    fails(['--connect'], /^--connect needs a value$/);
    fails(['--connect', '--kiosk'], /^--connect needs a value$/);
    fails(['--connect='], /^--connect needs a value, not an empty string$/);
    fails(['--connect', 'localhost'], /^--connect needs a libvirt URI such as qemu:\/\/\/system/);
    fails(['--domain'], /^--domain needs a value$/);
    fails(['--domain', 'a', '--domain', 'b'], /given twice/);
    fails(['--kiosk=yes'], /^--kiosk takes no value$/);
    fails(['web1'], /^unexpected argument "web1" \(name a guest with --domain NAME/);
    fails(['-x'], /^unknown option "-x"/);
  });

  it("leaves Chromium's, Electron's and Node's own switches alone", () => {
    const a = parse(
      '--no-sandbox',
      '--inspect=0',
      '--remote-debugging-port=0',
      '--ozone-platform=x11',
      '--enable-features=WaylandWindowDecorations',
      '--connect',
      'test:///default',
    );
    assert.deepEqual(a.connect, ['test:///default']);
  });

  it('a development run (electron APP_DIR …) skips the app path, once', () => {
    const a = parseDesktopArgs(['--no-sandbox', '.', '--domain', 'x'], { appPathFirst: true });
    assert.equal(a.domain, 'x');
    fails(['.', 'extra'], /unexpected argument "extra"/, { appPathFirst: true });
  });

  it('--domain finds a guest by UUID or by name, the first in switcher order', () => {
    const guests = [
      { uuid: '11111111-1111-1111-1111-111111111111', name: 'web1', host: 'a' },
      { uuid: '22222222-2222-2222-2222-222222222222', name: 'db', host: 'a' },
      { uuid: '33333333-3333-3333-3333-333333333333', name: 'db', host: 'b' },
    ];
    assert.equal(resolveDomain(guests, 'db')?.host, 'a');
    assert.equal(resolveDomain(guests, '33333333-3333-3333-3333-333333333333')?.host, 'b');
    assert.equal(resolveDomain(guests, '33333333-3333-3333-3333-333333333333'.toUpperCase())?.host, 'b');
    assert.equal(resolveDomain(guests, ' web1 ')?.uuid, guests[0]!.uuid);
    assert.equal(resolveDomain(guests, 'nope'), undefined);
    // A UUID wins over a guest that happens to be named like one.
    const tricky = [{ uuid: '44444444-4444-4444-4444-444444444444', name: guests[2]!.uuid, host: 'c' }, ...guests];
    assert.equal(resolveDomain(tricky, guests[2]!.uuid)?.host, 'b');
  });
});

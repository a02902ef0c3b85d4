/**
 * The guest's clipboard reaching this computer's, in Chromium with a real guest: the guest puts
 * text on its clipboard through QEMU's own clipboard agent (libvirt's qemu-vdagent channel), whose
 * protocol the busybox guest speaks by writing its messages to the channel's port from its serial
 * shell; QEMU's VNC server then sends it to the page. With the setting off (the default) only a
 * hint shows, and the text reaches the host clipboard only by its Copy button; with it on, the
 * text is copied at once and no hint shows.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSwitcher, guestCard, type OpenSwitcher } from './switcher-harness.js';
import { SYSTEM_URI, type TestGuest } from '../rig/guests.js';
import { typeOnSerial } from '../rig/serial-counter.js';

/** QEMU's clipboard agent channel, on the virtio-serial port spice-vdagent would use. */
const VDAGENT_CHANNEL =
  "<channel type='qemu-vdagent'><source><clipboard copypaste='yes'/></source>" +
  "<target type='virtio' name='com.redhat.spice.0'/></channel>";

const VD_AGENT_CLIPBOARD = 4;
const VD_AGENT_ANNOUNCE_CAPABILITIES = 6;
const VD_AGENT_CLIPBOARD_GRAB = 7;
const VD_AGENT_CAP_CLIPBOARD = 1 << 3;
const VD_AGENT_CAP_CLIPBOARD_BY_DEMAND = 1 << 5;
const VD_AGENT_CLIPBOARD_UTF8_TEXT = 1;

/** One vdagent message in its chunk (port 1, the client's), little-endian as the protocol has it. */
function vdagentMessage(type: number, data: Buffer): Buffer {
  const chunk = Buffer.alloc(8 + 20);
  chunk.writeUInt32LE(1, 0); // VDP_CLIENT_PORT
  chunk.writeUInt32LE(20 + data.length, 4);
  chunk.writeUInt32LE(1, 8); // VD_AGENT_PROTOCOL
  chunk.writeUInt32LE(type, 12);
  // opaque (8 bytes) stays zero
  chunk.writeUInt32LE(data.length, 24);
  return Buffer.concat([chunk, data]);
}

const u32s = (...xs: number[]): Buffer => Buffer.concat(xs.map((x) => Buffer.from(new Uint32Array([x]).buffer)));

/** What the guest writes to put `text` on its clipboard: its capabilities, a grab, then the text. */
function clipboardBytes(text: string): Buffer {
  return Buffer.concat([
    vdagentMessage(VD_AGENT_ANNOUNCE_CAPABILITIES, u32s(0, VD_AGENT_CAP_CLIPBOARD | VD_AGENT_CAP_CLIPBOARD_BY_DEMAND)),
    vdagentMessage(VD_AGENT_CLIPBOARD_GRAB, u32s(VD_AGENT_CLIPBOARD_UTF8_TEXT)),
    vdagentMessage(VD_AGENT_CLIPBOARD, Buffer.concat([u32s(VD_AGENT_CLIPBOARD_UTF8_TEXT), Buffer.from(text)])),
  ]);
}

/**
 * A serial-shell line that writes those bytes to the agent's port (found by its name) and holds
 * the port open a while: QEMU drops the guest's clipboard when the port closes.
 */
function guestCopyLine(text: string): string {
  const octal = [...clipboardBytes(text)].map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('');
  return (
    'for x in /sys/class/virtio-ports/*; do [ "$(cat $x/name)" = com.redhat.spice.0 ] && p=/dev/${x##*/}; done; ' +
    `( printf '${octal}'; sleep 20 ) > $p & echo "clip-sent $p"`
  );
}

describe('the guest clipboard hint in Chromium, with a real guest', () => {
  let r: OpenSwitcher;
  let g: TestGuest;
  const hint = '[data-testid="clipboard-hint"]';
  const hostClipboard = (): Promise<string> => r.page.evaluate(() => navigator.clipboard.readText());

  before(async () => {
    r = await openSwitcher([{ name: 'clip-a', start: false }], () => '[data-testid="stage"]');
    g = r.guests[0]!;
    await attachVdagent(r, g);
    await r.rig.start(g);
    await r.rig.waitForBoot(g);
    await r.page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: r.shell.url });
    await r.page.waitForSelector(`${guestCard(g)}[data-state="running"]`, { state: 'attached', timeout: 60_000 });
    await r.select(g);
  });

  after(async () => {
    await r?.close();
  });

  it('setting off: a visible hint, the host clipboard untouched until Copy is pressed', async () => {
    assert.equal(r.app.state().settings.guestClipboardToHost, false, 'off by default');
    await r.page.evaluate(() => navigator.clipboard.writeText('host-before'));
    await typeOnSerial(SYSTEM_URI, g.uuid, guestCopyLine('guest-secret-1'));
    await r.rig.waitForSerial(g, 'clip-sent /dev/');
    await r.page.waitForSelector(`${hint}:not([hidden]):has-text("guest-secret-1")`, { timeout: 30_000 });
    assert.match((await r.page.textContent(hint)) ?? '', /Guest clipboard received from/);
    assert.equal(await hostClipboard(), 'host-before', 'nothing reached the host clipboard by itself');
    await r.screenshot('clipboard-hint');
    await r.page.getByRole('button', { name: 'Copy to this computer' }).click();
    await r.page.waitForSelector(hint, { state: 'hidden' });
    assert.equal(await hostClipboard(), 'guest-secret-1');
  });

  it('setting on: copied at once, no hint', async () => {
    await r.app.settings.update({ guestClipboardToHost: true });
    await r.page.waitForFunction(
      () =>
        (window as unknown as { virtswitch: { store: { settings: { guestClipboardToHost: boolean } } } }).virtswitch
          .store.settings.guestClipboardToHost,
    );
    await r.page.evaluate(() => navigator.clipboard.writeText('host-before'));
    await typeOnSerial(SYSTEM_URI, g.uuid, guestCopyLine('guest-secret-2'));
    await r.page.waitForFunction(async () => (await navigator.clipboard.readText()) === 'guest-secret-2', undefined, {
      timeout: 30_000,
      polling: 200,
    });
    assert.equal(await r.page.isVisible(hint), false);
  });
});

/** The agent channel goes into the guest's definition before it starts. */
async function attachVdagent(r: OpenSwitcher, g: TestGuest): Promise<void> {
  const file = join(r.rig.runDir, `vdagent-${g.uuid}.xml`);
  writeFileSync(file, VDAGENT_CHANNEL);
  await r.rig.virsh('attach-device', g.uuid, file, '--config');
}

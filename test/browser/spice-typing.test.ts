/**
 * Typing a long line into a SPICE guest while the machine is busy: CPU burners (started here) keep
 * the guest's TCG vCPU starved, and every character of a 200-character marker must still reach the
 * guest exactly once. With VIRTSWITCH_PS2_TRACE=1 QEMU's PS/2 trace events are switched on for the
 * run and counted from the domain's log: what QEMU queued for the guest's keyboard against what the
 * guest read, to tell a key lost before QEMU from one dropped inside it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { guestCard, startSwitcherRig, waitActive, type SwitcherRig } from './switcher-harness.js';
import type { TestGuest } from '../rig/guests.js';
import { spiceKeyEvents, spiceKeyLog, spiceKeysWritten, tapSpice } from './spice-ledger.js';

/** A marker of `n` characters, mixed case and digits (Shift held for some), the same every run. */
function markerOf(n: number): string {
  const abc = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let s = 'M';
  let x = 12345;
  while (s.length < n) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    s += abc[(x >> 16) % abc.length];
  }
  return s;
}

/** Busy loops, two per core: the guest's vCPU thread then gets a fraction of a core. */
function startBurners(): ChildProcess[] {
  const n = Number(process.env.VIRTSWITCH_BURNERS ?? 2 * availableParallelism());
  return Array.from({ length: n }, () => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
}

describe('typing into a SPICE guest on a busy machine', () => {
  let r: SwitcherRig & { guests: TestGuest[] };
  let g: TestGuest;
  let burners: ChildProcess[] = [];
  const trace = process.env.VIRTSWITCH_PS2_TRACE === '1';
  const pageErrors: string[] = [];

  before(async () => {
    r = await startSwitcherRig([{ name: 'sp-type', graphics: 'spice' }]);
    g = r.guests[0]!;
    const open = r.app.consoles.open.bind(r.app.consoles);
    r.app.consoles.open = async (ref, kind, o) => {
      const ch = await open(ref, kind, o);
      return kind === 'spice' ? tapSpice(r.keys, ref.uuid, ch) : ch;
    };
    await r.rig.waitForBoot(g);
    r.page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') pageErrors.push(m.text());
    });
    await r.page.goto(r.shell.url);
    await r.page.fill('[aria-label="Filter guests"]', g.name);
    await r.page.click(guestCard(g));
    await waitActive(r.page, g);
  });

  after(async () => {
    for (const b of burners) b.kill('SIGKILL');
    await r?.close();
  });

  it('a 200-character marker typed with Type text arrives whole, exactly once, while CPU burners run', async () => {
    const marker = markerOf(200);
    const logPath = `/var/log/libvirt/qemu/${g.name}.log`;
    if (trace)
      for (const ev of ['ps2_put_keycode', 'ps2_read_data', 'ps2_keyboard_event'])
        await r.rig.virsh('qemu-monitor-command', g.name, '--hmp', `trace-event ${ev} on`);
    const logFrom = trace ? readFileSync(logPath, 'latin1').length : 0;
    const serialFrom = r.rig.serial(g).length;
    const keysBefore = spiceKeyEvents.get(g.uuid) ?? 0;
    const writtenBefore = spiceKeysWritten.get(g.uuid) ?? 0;
    burners = startBurners();
    try {
      await r.page.click('[data-testid="stage"] .toolbar summary[aria-label="Send keys"]');
      await r.page.click('text=Type text…');
      await r.page.fill('[data-testid="type-text"] textarea', `echo ${marker} >/dev/ttyS0\n`);
      await r.page.click('[data-testid="type-text"] button[type="submit"]');
      await r.rig.waitForSerial(g, `${marker}\r\n`, 300_000, serialFrom).catch(async (e: unknown) => {
        const sent = (spiceKeyEvents.get(g.uuid) ?? 0) - keysBefore;
        const written = (spiceKeysWritten.get(g.uuid) ?? 0) - writtenBefore;
        console.error(`SPICE key messages: ${sent} from the page, ${written} written to QEMU`);
        const info = await r.page.evaluate(() =>
          JSON.stringify((window as unknown as { virtswitch: { debugInfo(): unknown } }).virtswitch.debugInfo()),
        );
        console.error('consoles:', info.slice(0, 2000), pageErrors.slice(-20).join('\n'));
        console.error('last ones:', JSON.stringify(spiceKeyLog.get(g.uuid)?.slice(-10)));
        throw e;
      });
    } finally {
      for (const b of burners) b.kill('SIGKILL');
      burners = [];
      if (trace) {
        const log = readFileSync(logPath, 'latin1').slice(logFrom);
        const count = (re: RegExp): number => [...log.matchAll(re)].length;
        // Key events QEMU handed the PS/2 keyboard within 2 ms of each other: how bunched they came.
        const at = [...log.matchAll(/@([\d.]+):ps2_keyboard_event /g)].map((m) => Number(m[1]));
        let bunch = 1;
        let most = 1;
        for (let i = 1; i < at.length; i++) {
          bunch = at[i]! - at[i - 1]! < 0.002 ? bunch + 1 : 1;
          most = Math.max(most, bunch);
        }
        console.error(
          `PS/2 trace: ${count(/ps2_keyboard_event /g)} key events (at most ${most} within 2 ms of each other), ` +
            `${count(/ps2_read_data /g)} bytes read by the guest`,
        );
      }
    }
    const typed = r.rig.serial(g).slice(serialFrom);
    const lines = typed.split(/\r?\n/).filter((l) => l.includes(marker.slice(0, 12)));
    assert.deepEqual(lines, [marker], 'the marker, whole and once, and no broken copy of it');
  });
});

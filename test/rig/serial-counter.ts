/**
 * A running guest that proves it never rebooted: a counter its serial shell prints every 100 ms,
 * started by typing a loop into the serial port's pty (no change to the guest image needed).
 */
import { openSync, writeSync, closeSync } from 'node:fs';
import { run } from './exec.js';

/** The host-side pty of the guest's serial port, from its live XML on the given connection. */
export async function serialPty(uri: string, domain: string): Promise<string> {
  const r = await run('virsh', ['-c', uri, 'dumpxml', domain]);
  const m = /<serial type='pty'>\s*<source path='([^']+)'/.exec(r.stdout);
  if (!m) throw new Error(`no serial pty in the live XML of ${domain} on ${uri}: ${r.stderr.trim()}`);
  return m[1]!;
}

/**
 * Types a line into the guest's serial shell through the pty, as libvirt's console stream does: raw
 * mode without echo (else the guest's own output would come back to it as input), and held open a
 * moment, since QEMU drops what a closed pty held before reading it.
 */
export async function typeOnSerial(uri: string, domain: string, line: string): Promise<void> {
  const pty = await serialPty(uri, domain);
  const stty = await run('stty', ['-F', pty, 'raw', '-echo']);
  if (stty.code !== 0) throw new Error(`stty on ${pty}: ${stty.stderr.trim()}`);
  const fd = openSync(pty, 'w');
  try {
    writeSync(fd, `${line}\n`);
    await new Promise((r) => setTimeout(r, 1000));
  } finally {
    closeSync(fd);
  }
}

/** Starts `tick N` lines every 100 ms on the serial port, in the background of the serial shell. */
export function startCounter(uri: string, domain: string): Promise<void> {
  return typeOnSerial(uri, domain, 'i=0; while :; do echo "tick $i"; i=$((i+1)); usleep 100000; done &');
}

/** The counter values printed so far, in order. */
export function ticks(serialLog: string): number[] {
  return [...serialLog.matchAll(/tick (\d+)\r?\n/g)].map((m) => Number(m[1]));
}

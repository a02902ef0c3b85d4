/**
 * Hosts for scale: libvirt's test driver, run inside the real libvirtd. `test+unix:///PATH.xml`
 * opens a fake host described by an XML file (domains with names, states and UUIDs, no QEMU).
 * The rig writes ten such files of fifty domains each.
 *
 * One thing to know: the daemon gives every connection to a file its own private copy of that
 * file's host, so a change made by one client (virsh) is never seen by another (the app). Only
 * `test:///default` is one host shared by every connection; the rig defines its own guests
 * there (named with the suite's prefix) for tests that change a state from outside the app. That
 * host lives only while some connection holds it open: define guests there after the app (or
 * another client) has connected, or they vanish when virsh exits.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RigError } from './errors.js';
import { run } from './exec.js';
import { NAME_PREFIX } from './guests.js';

export interface ScaleGuest {
  host: string;
  name: string;
  uuid: string;
  state: 'running' | 'paused' | 'shutoff';
}

export interface ScaleHosts {
  /** One `test+unix:///…xml` URI per host, in order. */
  uris: string[];
  guests: ScaleGuest[];
}

/** The shared test-driver host, through the system daemon's socket. */
export const SHARED_TEST_URI = 'test+unix:///default';

/** libvirt's domain states, as the test driver's `<test:runstate>` takes them. */
const RUNSTATE = { running: 1, paused: 3, shutoff: 5 } as const;

/** A state for the i-th guest of a host: mostly off, as in a home lab, some running, a few paused. */
function stateFor(i: number): ScaleGuest['state'] {
  if (i % 10 === 3) return 'paused';
  return i % 3 === 0 ? 'running' : 'shutoff';
}

function uuidFor(host: number, i: number): string {
  return `5ca1e000-0000-4000-8000-${String(host).padStart(4, '0')}${String(i).padStart(8, '0')}`;
}

function domainXml(g: ScaleGuest): string {
  return `  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>${g.name}</name>
    <uuid>${g.uuid}</uuid>
    <memory unit='MiB'>512</memory>
    <vcpu>1</vcpu>
    <os><type>hvm</type></os>
    <test:runstate>${RUNSTATE[g.state]}</test:runstate>
  </domain>`;
}

/**
 * Writes `hosts` test-driver host files of `perHost` domains each into `dir` (rack-01.xml, …)
 * and returns their URIs and the guests they hold.
 */
export function writeScaleHosts(dir: string, hosts = 10, perHost = 50): ScaleHosts {
  mkdirSync(dir, { recursive: true });
  const uris: string[] = [];
  const guests: ScaleGuest[] = [];
  for (let h = 1; h <= hosts; h++) {
    const file = join(dir, `rack-${String(h).padStart(2, '0')}.xml`);
    const uri = `test+unix://${file}`;
    const mine: ScaleGuest[] = [];
    for (let i = 1; i <= perHost; i++) {
      mine.push({
        host: uri,
        name: `r${String(h).padStart(2, '0')}-vm-${String(i).padStart(3, '0')}`,
        uuid: uuidFor(h, i),
        state: stateFor(i),
      });
    }
    writeFileSync(file, `<node>\n${mine.map(domainXml).join('\n')}\n</node>\n`);
    uris.push(uri);
    guests.push(...mine);
  }
  return { uris, guests };
}

async function virsh(uri: string, args: string[]): Promise<string> {
  const r = await run('virsh', ['-c', uri, ...args]);
  if (r.code !== 0) throw new RigError(`virsh -c ${uri} ${args.join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Guests this process defined on the shared test host, to be removed by `cleanupSharedTestGuests`. */
const sharedDefined = new Set<string>();

/**
 * Defines (and starts) a guest on the shared test host; its name carries the suite's prefix.
 * Some other connection must hold the shared host open (see above).
 */
export async function defineSharedTestGuest(
  suffix: string,
  dir: string,
): Promise<{ name: string; uuid: string; uri: string }> {
  const name = `${NAME_PREFIX}${process.pid}-${suffix}`;
  const uuid = crypto.randomUUID();
  const file = join(dir, `${name}.xml`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    file,
    `<domain type='test'><name>${name}</name><uuid>${uuid}</uuid><memory unit='MiB'>128</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`,
  );
  await virsh(SHARED_TEST_URI, ['define', file]);
  sharedDefined.add(name);
  await virsh(SHARED_TEST_URI, ['start', name]);
  return { name, uuid, uri: SHARED_TEST_URI };
}

/** Changes a shared test guest's state from outside the app: `suspend`, `resume`, `destroy`, `start`. */
export async function changeSharedTestGuest(
  name: string,
  verb: 'suspend' | 'resume' | 'destroy' | 'start',
): Promise<void> {
  await virsh(SHARED_TEST_URI, [verb, name]);
}

/** Removes the guests this process defined on the shared test host. */
export async function cleanupSharedTestGuests(): Promise<void> {
  for (const name of sharedDefined) {
    await run('virsh', ['-c', SHARED_TEST_URI, 'destroy', name]);
    await run('virsh', ['-c', SHARED_TEST_URI, 'undefine', name]);
    sharedDefined.delete(name);
  }
}

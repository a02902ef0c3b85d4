/**
 * Every VM control a user expects, as plain functions over a Host: lifecycle, save, delete,
 * autostart, memory and vCPUs, snapshots, screenshot, keys. Inputs arrive validated in shape by
 * the API's schemas; the checks here are those that need the guest (its state, its maximums).
 */
import {
  AffectFlags,
  DestroyFlags,
  KeyCodeSet,
  ShutdownFlags,
  SnapshotCreateFlags,
  UndefineFlags,
  type LibvirtClient,
  type DomainRef,
} from '../libvirt/index.js';
import type { DeleteOptions, GuestInfo, SnapshotInfo } from '../../common/contract.js';
import { LINUX_KEYCODES } from '../../common/keycodes.js';
import { ApiError } from '../../common/api-error.js';
import { isRunning } from '../../common/guest-state.js';
import type { Host } from './host.js';
import { node, parseXml, text } from './xml.js';

function expectState(g: GuestInfo, ok: readonly string[], action: string, why: string): void {
  if (!ok.includes(g.state))
    throw new ApiError('invalid-state', `Can't ${action} ${g.name}: ${why} (it is ${g.state})`, {
      host: g.host,
      guest: g.name,
    });
}

export function start(h: Host, uuid: string): Promise<void> {
  const g = h.guest(uuid);
  return h.act(
    uuid,
    'start',
    async (c, dom, info) => {
      expectState(info, ['shutoff', 'crashed'], 'start', 'it is already running');
      // CREATE restores the managed save image when there is one, as virsh start does.
      await c.call('domainCreateWithFlags', { dom, flags: 0 });
    },
    g?.managedSave ? 'restoring' : 'starting',
  );
}

export function shutdown(h: Host, uuid: string): Promise<void> {
  return h.act(uuid, 'shut down', async (c, dom, info) => {
    expectState(info, ['running', 'blocked', 'paused', 'shutdown'], 'shut down', 'it is not running');
    // Through the guest agent when one answers (it shuts down cleanly without ACPI), else the power button.
    const agent = info.hardware?.agent === 'connected';
    await c.call('domainShutdownFlags', {
      dom,
      flags: agent ? ShutdownFlags.GUEST_AGENT : ShutdownFlags.ACPI_POWER_BTN,
    });
  });
}

export function reboot(h: Host, uuid: string): Promise<void> {
  return h.act(uuid, 'reboot', async (c, dom, info) => {
    expectState(info, ['running', 'blocked'], 'reboot', 'it is not running');
    await c.call('domainReboot', { dom, flags: ShutdownFlags.ACPI_POWER_BTN });
  });
}

export function reset(h: Host, uuid: string): Promise<void> {
  return h.act(uuid, 'reset', async (c, dom, info) => {
    expectState(info, ['running', 'blocked', 'paused'], 'reset', 'it is not running');
    await c.call('domainReset', { dom, flags: 0 });
  });
}

export function powerOff(h: Host, uuid: string): Promise<void> {
  return h.act(uuid, 'power off', async (c, dom, info) => {
    if (!isRunning(info))
      throw new ApiError('invalid-state', `Can't power off ${info.name}: it is not running (it is ${info.state})`, {
        host: h.uri,
        guest: info.name,
      });
    await c.call('domainDestroyFlags', { dom, flags: DestroyFlags.DEFAULT });
  });
}

export function pause(h: Host, uuid: string): Promise<void> {
  return h.act(uuid, 'pause', async (c, dom, info) => {
    expectState(info, ['running', 'blocked'], 'pause', 'it is not running');
    await c.call('domainSuspend', { dom });
  });
}

export function resume(h: Host, uuid: string): Promise<void> {
  return h.act(uuid, 'resume', async (c, dom, info) => {
    expectState(info, ['paused'], 'resume', 'it is not paused');
    await c.call('domainResume', { dom });
  });
}

export function save(h: Host, uuid: string): Promise<void> {
  return h.act(
    uuid,
    'save',
    async (c, dom, info) => {
      expectState(info, ['running', 'blocked', 'paused'], 'save', 'it is not running');
      await c.call('domainManagedSave', { dom, flags: 0 });
    },
    'saving',
  );
}

export function deleteGuest(h: Host, uuid: string, o: DeleteOptions): Promise<void> {
  return h.act(
    uuid,
    'delete',
    async (c, dom, info) => {
      if (isRunning(info)) {
        if (!o.force)
          throw new ApiError('invalid-state', `Can't delete ${info.name}: it is running; power it off first`, {
            host: h.uri,
            guest: info.name,
          });
        await c.call('domainDestroyFlags', { dom, flags: DestroyFlags.DEFAULT });
      }
      if (!info.persistent) return; // a transient guest is gone once it stops
      let flags = 0;
      if (o.removeManagedSave ?? true) flags |= UndefineFlags.MANAGED_SAVE;
      if (o.removeSnapshots ?? true) flags |= UndefineFlags.SNAPSHOTS_METADATA;
      flags |= (o.removeNvram ?? true) ? UndefineFlags.NVRAM : UndefineFlags.KEEP_NVRAM;
      await c.call('domainUndefineFlags', { dom, flags });
    },
    'deleting',
  );
}

export function setAutostart(h: Host, uuid: string, enabled: boolean): Promise<void> {
  return h.act(uuid, 'change autostart of', async (c, dom, info) => {
    if (!info.persistent)
      throw new ApiError('invalid-state', `Can't set autostart on ${info.name}: it is a transient guest`, {
        host: h.uri,
        guest: info.name,
      });
    await c.call('domainSetAutostart', { dom, autostart: enabled });
  });
}

function affect(live: boolean, config: boolean, g: GuestInfo, what: string): number {
  if (!live && !config)
    throw new ApiError(
      'invalid-input',
      `Choose whether the ${what} change applies now (live), from the next start (config), or both`,
      { host: g.host, guest: g.name },
    );
  if (live && !isRunning(g))
    throw new ApiError(
      'invalid-state',
      `Can't change the ${what} of ${g.name} live: it is not running (apply it to the config instead)`,
      { host: g.host, guest: g.name },
    );
  return (live ? AffectFlags.LIVE : 0) | (config ? AffectFlags.CONFIG : 0);
}

export function setMemory(h: Host, uuid: string, memoryMiB: number, live: boolean, config: boolean): Promise<void> {
  return h.act(uuid, 'set the memory of', async (c, dom, info) => {
    const flags = affect(live, config, info, 'memory');
    const maxMiB = Math.floor(info.maxMemoryKiB / 1024);
    if (memoryMiB > maxMiB) {
      throw new ApiError('out-of-range', `${memoryMiB} MiB is above ${info.name}'s maximum of ${maxMiB} MiB`, {
        host: h.uri,
        guest: info.name,
      });
    }
    await c.call('domainSetMemoryFlags', { dom, memory: memoryMiB * 1024, flags });
  });
}

export function setVcpus(h: Host, uuid: string, vcpus: number, live: boolean, config: boolean): Promise<void> {
  return h.act(uuid, 'set the vCPUs of', async (c, dom, info) => {
    const flags = affect(live, config, info, 'vCPU count');
    if (vcpus > info.maxVcpus) {
      throw new ApiError('out-of-range', `${vcpus} vCPUs is above ${info.name}'s maximum of ${info.maxVcpus}`, {
        host: h.uri,
        guest: info.name,
      });
    }
    await c.call('domainSetVcpusFlags', { dom, nvcpus: vcpus, flags });
  });
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function parseSnapshotXml(xml: string, current: string | undefined): SnapshotInfo {
  const s = node(parseXml(xml)['domainsnapshot']);
  const name = text(s?.['name']) ?? '';
  const parent = text(node(s?.['parent'])?.['name']);
  return {
    name,
    description: text(s?.['description']) ?? '',
    createdAt: Number(text(s?.['creationTime']) ?? '0') * 1000,
    state: text(s?.['state']) ?? '',
    current: name === current,
    ...(parent ? { parent } : {}),
  };
}

async function currentSnapshotName(c: LibvirtClient, dom: DomainRef): Promise<string | undefined> {
  const has = await c.call('domainHasCurrentSnapshot', { dom, flags: 0 });
  if (!has.result) return undefined;
  return (await c.call('domainSnapshotCurrent', { dom, flags: 0 })).snap.name;
}

export function listSnapshots(h: Host, uuid: string): Promise<SnapshotInfo[]> {
  return h.act(uuid, 'list the snapshots of', async (c, dom) => {
    const [{ snapshots }, current] = await Promise.all([
      c.call('domainListAllSnapshots', { dom, needResults: true, flags: 0 }),
      currentSnapshotName(c, dom),
    ]);
    const xmls = await Promise.all(snapshots.map((snap) => c.call('domainSnapshotGetXmlDesc', { snap, flags: 0 })));
    return xmls
      .map((x) => parseSnapshotXml(x.xml, current))
      .sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name));
  });
}

export function createSnapshot(h: Host, uuid: string, name: string, description: string): Promise<SnapshotInfo> {
  return h.act(
    uuid,
    'take a snapshot of',
    async (c, dom) => {
      const xml = `<domainsnapshot><name>${xmlEscape(name)}</name>${description ? `<description>${xmlEscape(description)}</description>` : ''}</domainsnapshot>`;
      const { snap } = await c.call('domainSnapshotCreateXml', { dom, xml, flags: SnapshotCreateFlags.VALIDATE });
      const desc = await c.call('domainSnapshotGetXmlDesc', { snap, flags: 0 });
      return parseSnapshotXml(desc.xml, snap.name);
    },
    `taking snapshot ${name}`,
  );
}

export function revertSnapshot(h: Host, uuid: string, name: string): Promise<void> {
  return h.act(
    uuid,
    `revert to snapshot "${name}" on`,
    async (c, dom) => {
      const { snap } = await c.call('domainSnapshotLookupByName', { dom, name, flags: 0 });
      await c.call('domainRevertToSnapshot', { snap, flags: 0 });
    },
    `reverting to ${name}`,
  );
}

export function deleteSnapshot(h: Host, uuid: string, name: string): Promise<void> {
  return h.act(uuid, `delete snapshot "${name}" of`, async (c, dom) => {
    const { snap } = await c.call('domainSnapshotLookupByName', { dom, name, flags: 0 });
    await c.call('domainSnapshotDelete', { snap, flags: 0 });
  });
}

export function screenshot(h: Host, uuid: string): Promise<{ mime: string; base64: string }> {
  return h.act(uuid, 'take a screenshot of', async (c, dom, info) => {
    expectState(info, ['running', 'paused', 'blocked'], 'take a screenshot of', 'it is not running');
    // QEMU's screendump reads the guest's video device, whatever display shows it (VNC or SPICE).
    if (!info.hasVnc && !info.hasSpice)
      throw new ApiError('unsupported', `${info.name} has no graphical display to take a screenshot of`, {
        host: h.uri,
        guest: info.name,
      });
    const shot = await c.screenshot(dom);
    return { mime: shot.mime, base64: shot.data.toString('base64') };
  });
}

/** For a display with a password: the viewer asks for it when QEMU asks the viewer. */
export async function vncPassword(h: Host, uuid: string): Promise<{ password: string | null }> {
  h.knownGuest(uuid); // an unknown guest says so before anything else
  // null: the display has no password, or this connection may not read it (read-only access).
  const ep = await h.vncEndpoint(uuid, true);
  return { password: ep?.password ?? null };
}

export function sendKeys(h: Host, uuid: string, keys: readonly string[]): Promise<void> {
  return h.act(uuid, 'send keys to', async (c, dom, info) => {
    expectState(info, ['running', 'blocked'], 'send keys to', 'it is not running');
    const keycodes = keys.map((k) => {
      const code = LINUX_KEYCODES[k];
      if (code === undefined)
        throw new ApiError('invalid-input', `Unknown key "${k}"`, { host: h.uri, guest: info.name });
      return code;
    });
    await c.call('domainSendKey', { dom, codeset: KeyCodeSet.LINUX, holdtime: 0, keycodes, flags: 0 });
  });
}

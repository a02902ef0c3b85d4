import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { GuestModel, type GuestModelEvents } from '../../main/hosts/guest-model.js';
import type { DomainRef, LibvirtClient } from '../../main/libvirt/index.js';
import type { GuestInfo } from '../../common/contract.js';

const DOM: DomainRef = { name: 'web1', uuid: '11111111-2222-3333-4444-555555555555', id: 1 };
const XML = `<domain type='qemu'><name>web1</name><uuid>${DOM.uuid}</uuid><memory>131072</memory><vcpu>1</vcpu></domain>`;

/** A libvirt client that answers for one running guest, until `fail` makes its reads fail. */
function fakeClient(): { client: LibvirtClient; fail: { now: boolean } } {
  const fail = { now: false };
  const read = <T>(v: T): Promise<T> =>
    fail.now ? Promise.reject(new Error('the daemon said no')) : Promise.resolve(v);
  const calls: Record<string, () => unknown> = {
    connectGetAllDomainStats: () => ({ records: [] }),
    domainGetAutostart: () => ({ autostart: false }),
    domainIsPersistent: () => ({ persistent: true }),
    domainHasManagedSaveImage: () => ({ result: 0 }),
    domainListAllSnapshots: () => ({ ret: 0 }),
  };
  const client = {
    connected: true,
    listAllDomains: (flags?: number) => Promise.resolve(flags ? [] : [DOM]),
    lookupByUuid: () => Promise.resolve(DOM),
    getXml: () => read(XML),
    getState: () => read({ state: 1, reason: 1 }),
    call: (name: string) => read(calls[name]!()),
  } as unknown as LibvirtClient;
  return { client, fail };
}

describe('a failed guest refresh', () => {
  it('is shown as the error state of the guest, and cleared by the next good refresh', async () => {
    const { client, fail } = fakeClient();
    const events = new EventEmitter<GuestModelEvents>();
    const seen: GuestInfo[] = [];
    events.on('guest', (g) => seen.push(g));
    const model = new GuestModel(
      'qemu:///system',
      () => client,
      events,
      () => false,
    );
    await model.resync();
    assert.equal(model.get(DOM.uuid)?.refreshError, undefined);

    fail.now = true;
    await model.scheduleRefresh(DOM.uuid);
    const g = model.get(DOM.uuid)!;
    assert.match(g.refreshError ?? '', /Couldn't re-read this guest \(the daemon said no\)/);
    assert.equal(g.name, 'web1', 'the last known data is kept');
    assert.ok(seen.at(-1)?.refreshError, 'the app was told');

    fail.now = false;
    await model.scheduleRefresh(DOM.uuid);
    assert.equal(model.get(DOM.uuid)?.refreshError, undefined);
    assert.equal(seen.at(-1)?.refreshError, undefined);
  });
});

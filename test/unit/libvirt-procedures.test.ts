import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eventMessages, procedureNames, procedures } from '../../main/libvirt/procedures.js';
import { STORAGE_PROCEDURE_NUMBERS, STORAGE_STREAM_PROCEDURES } from './libvirt-storage-numbers.js';

describe('the procedure table', () => {
  // Numbers as remote_protocol.x (libvirt 9.x) gives them; procedure numbers are append-only.
  const expected: Record<string, number> = {
    connectOpen: 1,
    connectClose: 2,
    connectGetType: 3,
    connectGetVersion: 4,
    nodeGetInfo: 6,
    connectGetCapabilities: 7,
    domainCreateXml: 10,
    domainGetXmlDesc: 14,
    domainGetAutostart: 15,
    domainGetInfo: 16,
    domainGetMaxMemory: 17,
    domainLookupById: 22,
    domainLookupByName: 23,
    domainLookupByUuid: 24,
    domainReboot: 27,
    domainResume: 28,
    domainSetAutostart: 29,
    domainSuspend: 34,
    connectGetHostname: 59,
    connectSupportsFeature: 60,
    authList: 66,
    authPolkit: 70,
    connectGetUri: 110,
    domainIsActive: 150,
    domainIsPersistent: 151,
    connectGetLibVersion: 157,
    domainManagedSave: 182,
    domainHasManagedSaveImage: 183,
    domainManagedSaveRemove: 184,
    domainSnapshotCreateXml: 185,
    domainSnapshotGetXmlDesc: 186,
    domainSnapshotLookupByName: 189,
    domainHasCurrentSnapshot: 190,
    domainSnapshotCurrent: 191,
    domainRevertToSnapshot: 192,
    domainSnapshotDelete: 193,
    domainCreateWithFlags: 196,
    domainSetVcpusFlags: 199,
    domainGetVcpusFlags: 200,
    domainOpenConsole: 201,
    domainSetMemoryFlags: 204,
    domainScreenshot: 211,
    domainGetState: 212,
    domainSendKey: 226,
    domainUndefineFlags: 231,
    domainDestroyFlags: 234,
    domainReset: 245,
    domainShutdownFlags: 258,
    connectListAllDomains: 273,
    domainListAllSnapshots: 274,
    connectDomainEventCallbackRegisterAny: 316,
    connectDomainEventCallbackDeregisterAny: 317,
    connectGetAllDomainStats: 344,
    domainDefineXmlFlags: 350,
    // migration
    nodeGetFreeMemory: 102,
    domainAbortJob: 164,
    domainMigrateSetMaxDowntime: 166,
    domainMigrateSetMaxSpeed: 207,
    domainMigrateGetMaxSpeed: 242,
    domainGetJobStats: 298,
    domainMigrateBegin3Params: 302,
    domainMigratePrepare3Params: 303,
    domainMigratePerform3Params: 305,
    domainMigrateFinish3Params: 306,
    domainMigrateConfirm3Params: 307,
    domainMigrateStartPostCopy: 364,
    // devices, the guest agent, node devices
    nodeListDevices: 112,
    nodeDeviceGetXmlDesc: 114,
    domainAttachDeviceFlags: 160,
    domainDetachDeviceFlags: 161,
    domainUpdateDeviceFlags: 174,
    domainGetHostname: 277,
    connectListAllNodeDevices: 285,
    domainGetTime: 337,
    domainSetTime: 338,
    domainGetFsinfo: 349,
    domainInterfaceAddresses: 353,
    // virtual networks
    networkCreate: 39,
    networkDefineXml: 41,
    networkDestroy: 42,
    networkGetXmlDesc: 43,
    networkGetAutostart: 44,
    networkLookupByName: 46,
    networkSetAutostart: 48,
    networkUndefine: 49,
    networkIsActive: 152,
    networkIsPersistent: 153,
    connectListAllNetworks: 283,
    networkGetDhcpLeases: 341,
    ...STORAGE_PROCEDURE_NUMBERS,
  };

  it('gives every procedure its number from remote_protocol.x, once', () => {
    assert.deepEqual(Object.fromEntries(Object.entries(procedures).map(([k, v]) => [k, v.proc])), expected);
    assert.equal(procedureNames.size, Object.keys(procedures).length);
  });

  it('marks exactly the stream procedures as streams', () => {
    const streams = Object.entries(procedures)
      .filter(([, v]) => 'stream' in v && v.stream)
      .map(([k]) => k);
    assert.deepEqual(streams.sort(), ['domainOpenConsole', 'domainScreenshot', ...STORAGE_STREAM_PROCEDURES].sort());
  });

  it('numbers the callback events as remote_protocol.x does', () => {
    assert.deepEqual(
      Object.entries(eventMessages).map(([proc, e]) => [Number(proc), e.name, e.eventId]),
      [
        [318, 'lifecycle', 0],
        [319, 'reboot', 1],
        [323, 'graphics', 5],
        [325, 'controlError', 7],
        [328, 'trayChange', 10],
        [331, 'balloonChange', 13],
        [333, 'deviceRemoved', 15],
        [339, 'blockJob', 16],
        [346, 'tunable', 17],
        [348, 'agentLifecycle', 18],
        [354, 'deviceAdded', 19],
        [379, 'metadataChange', 23],
      ],
    );
  });
});

/**
 * The app facade connected to this machine's libvirtd (host A) and the rig's second host (B) over
 * qemu+ssh, as the migration tests use it: each move's progress events are gathered in order.
 */
import { App, type AppSession } from '../../main/app/api.js';
import type { MigrationProgress } from '../../common/contract.js';
import { SYSTEM_URI } from './guests.js';
import type { SecondHost } from './second-host.js';
import { waitFor } from './wait.js';

/** Starts the app on A and B, pushing every migration event into `progress`; resolves once both hosts are connected. */
export async function twoHostApp(
  second: SecondHost,
  configDir: string,
  progress: MigrationProgress[],
): Promise<{ app: App; s: AppSession }> {
  const app = new App({
    configDir,
    uris: [SYSTEM_URI, second.sshUri],
    host: { client: { sshPath: second.sshPath, connectTimeoutMs: 20_000 } },
  });
  app.on('event', (e) => {
    if (e.type === 'migration') progress.push(e.migration);
  });
  app.start();
  const s = app.session();
  await waitFor('both hosts connected', () => app.state().hosts.every((h) => h.status === 'connected'), 30_000);
  return { app, s };
}

/**
 * The sshd the rig starts for SSH hosts: key-only root login, its host key, pid file and authorized
 * keys all in `dir`, forwarding on (consoles go through `ssh -W`), quiet logs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function writeSshdConfig(
  dir: string,
  o: { listen: string; port?: number; maxSessions: number; maxStartups?: number },
): void {
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      ...(o.port !== undefined ? [`Port ${o.port}`] : []),
      `ListenAddress ${o.listen}`,
      `HostKey ${join(dir, 'host_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'AllowTcpForwarding yes',
      'AllowStreamLocalForwarding yes',
      `MaxSessions ${o.maxSessions}`,
      ...(o.maxStartups !== undefined ? [`MaxStartups ${o.maxStartups}`] : []),
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
}

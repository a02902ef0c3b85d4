/**
 * A host's name as the switcher shows it: the URI's host for a remote one, the file's name for a
 * libvirt test-driver host (every such host lives on this computer, so its hostname says nothing),
 * "this computer" for the local daemon.
 */
export function hostLabel(uri: string): string {
  const m = /^([a-z0-9]+)(?:\+([a-z0-9]+))?:\/\/(?:([^@/]*)@)?([^/?]*)(\/[^?]*)?/i.exec(uri);
  if (!m) return uri;
  const [, driver, , user, host, path] = m;
  if (!host && driver?.toLowerCase() === 'test') {
    const file = (path ?? '').split('/').pop() ?? '';
    return file && file !== 'default' ? `${file.replace(/\.xml$/i, '')} (test)` : 'test host';
  }
  const where = host || 'this computer';
  const suffix = path === '/system' ? '' : path === '/session' ? ' (session)' : (path ?? '');
  return `${user ? `${user}@` : ''}${where}${suffix}`;
}

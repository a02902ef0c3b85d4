/**
 * A host URI's query options (socket=, keyfile=, no_verify=…), listed in Settings: they can only
 * come from the command line or hosts.json, so the window shows them rather than hiding them.
 */
export function hostOptions(uri: string): string[] {
  const q = uri.indexOf('?');
  if (q < 0) return [];
  return uri
    .slice(q + 1)
    .split('&')
    .filter(Boolean)
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return part;
      }
    });
}

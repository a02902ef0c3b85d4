/** Checks for the virtual-network commands' parameters. */
import * as z from 'zod';

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, "-", "_" and "." only');
const ipv4 = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}$/, 'an IPv4 address');

export function networkSchemas(host: z.ZodString) {
  const ref = z.strictObject({ host, name });
  return {
    'network.list': z.strictObject({ host }),
    'network.create': z.strictObject({
      host,
      name,
      mode: z.enum(['nat', 'isolated']),
      address: ipv4,
      prefix: z.number().int().min(8).max(30),
      dhcpStart: ipv4,
      dhcpEnd: ipv4,
      autostart: z.boolean(),
    }),
    'network.start': ref,
    'network.stop': ref,
    'network.setAutostart': z.strictObject({ host, name, enabled: z.boolean() }),
    'network.delete': ref,
    'network.leases': ref,
  };
}

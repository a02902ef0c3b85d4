/**
 * The serve shell's command line, parsed without side effects:
 *   npm run serve -- [--connect URI]... [--host ADDR] [--port N] [--tls-cert FILE --tls-key FILE] [--insecure] [--public-origin URL] [--config-dir DIR]
 * Serving anywhere but loopback needs TLS, or --insecure said out loud: the page's secret would
 * otherwise cross the network in clear.
 */
import { ArgsError, parseFlags, sharedFlags, type Flag } from '../app/args.js';

export { ArgsError };

export interface ServeArgs {
  connect: string[];
  host: string;
  port: number;
  tlsCert?: string;
  tlsKey?: string;
  insecure: boolean;
  publicOrigin?: string;
  configDir?: string;
  help: boolean;
}

export const SERVE_USAGE = `usage: npm run serve -- [--connect URI]... [--host ADDR] [--port N] [--tls-cert FILE --tls-key FILE] [--insecure] [--public-origin URL] [--config-dir DIR]

  --connect URI    a libvirt URI to manage (repeatable); default: the saved hosts, else qemu:///system
  --host ADDR      address to listen on (default 127.0.0.1); anything but loopback needs TLS or --insecure
  --port N         port to listen on (default 8080; 0 picks a free one)
  --tls-cert FILE  certificate (PEM) for HTTPS; needs --tls-key
  --tls-key FILE   private key (PEM) for HTTPS
  --insecure       allow a non-loopback address without TLS (the secret then crosses the network in clear)
  --public-origin URL  where users open the page (https://vs.example.org:8443); required off loopback,
                   where Host and Origin must name it
  --config-dir DIR where hosts and settings are kept (default $XDG_CONFIG_HOME/virtswitch)`;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * `--public-origin` as an origin (scheme, host, port), or a sentence saying why it is not one.
 * Serving anywhere but loopback needs it: it is the only name Host and Origin may then carry.
 */
export function parsePublicOrigin(text: string): { origin: string } | { problem: string } {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return { problem: `--public-origin ${JSON.stringify(text)} is not a URL (e.g. https://vs.example.org:8443)` };
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    return { problem: `--public-origin must be an http:// or https:// URL, not ${JSON.stringify(text)}` };
  if (u.username || u.password || (u.pathname !== '/' && u.pathname !== '') || u.search || u.hash)
    return { problem: `--public-origin is an origin only (scheme, host and port), not ${JSON.stringify(text)}` };
  return { origin: u.origin };
}

const serveFlags: Flag<ServeArgs>[] = [
  ...sharedFlags<ServeArgs>(),
  { names: ['--host'], takesValue: true, apply: (out, host) => void (out.host = host) },
  {
    names: ['--port'],
    takesValue: true,
    apply: (out, v) => {
      const n = Number(v);
      if (!/^\d+$/.test(v) || n > 65535)
        throw new ArgsError(`--port must be a number from 0 to 65535, not ${JSON.stringify(v)}`);
      out.port = n;
    },
  },
  { names: ['--tls-cert'], takesValue: true, apply: (out, file) => void (out.tlsCert = file) },
  { names: ['--tls-key'], takesValue: true, apply: (out, file) => void (out.tlsKey = file) },
  { names: ['--insecure'], takesValue: false, apply: (out) => void (out.insecure = true) },
  {
    names: ['--public-origin'],
    takesValue: true,
    apply: (out, v) => {
      const p = parsePublicOrigin(v);
      if ('problem' in p) throw new ArgsError(p.problem);
      out.publicOrigin = p.origin;
    },
  },
];

export function parseServeArgs(argv: readonly string[]): ServeArgs {
  const out = parseFlags<ServeArgs>(
    argv,
    { connect: [], host: '127.0.0.1', port: 8080, insecure: false, help: false },
    { flags: serveFlags },
  );
  if (!!out.tlsCert !== !!out.tlsKey) throw new ArgsError('--tls-cert and --tls-key go together');
  if (!isLoopback(out.host) && !out.tlsCert && !out.insecure) {
    throw new ArgsError(
      `refusing to listen on ${out.host} without TLS: the page's secret would cross the network in clear; give --tls-cert and --tls-key, or --insecure if you really mean it`,
    );
  }
  if (!isLoopback(out.host) && !out.publicOrigin)
    throw new ArgsError(
      `listening on ${out.host} needs --public-origin URL, the address users open the page at (e.g. https://vs.example.org:${out.port}): only that name is let in`,
    );
  return out;
}

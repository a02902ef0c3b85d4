/** The serve shell's command line (design §5), parsed without side effects. */

export interface ServeArgs {
  connect: string[];
  host: string;
  port: number;
  tlsCert?: string;
  tlsKey?: string;
  insecure: boolean;
  configDir?: string;
  help: boolean;
}

export class ArgsError extends Error {}

export const SERVE_USAGE = `usage: npm run serve -- [--connect URI]... [--host ADDR] [--port N] [--tls-cert FILE --tls-key FILE] [--insecure] [--config-dir DIR]

  --connect URI    a libvirt URI to manage (repeatable); default: the saved hosts, else qemu:///system
  --host ADDR      address to listen on (default 127.0.0.1); anything but loopback needs TLS or --insecure
  --port N         port to listen on (default 8080; 0 picks a free one)
  --tls-cert FILE  certificate (PEM) for HTTPS; needs --tls-key
  --tls-key FILE   private key (PEM) for HTTPS
  --insecure       allow a non-loopback address without TLS (the secret then crosses the network in clear)
  --config-dir DIR where hosts and settings are kept (default $XDG_CONFIG_HOME/virtswitch)`;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function parseServeArgs(argv: readonly string[]): ServeArgs {
  const out: ServeArgs = { connect: [], host: '127.0.0.1', port: 8080, insecure: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const eq = raw.indexOf('=');
    const flag = raw.startsWith('--') && eq > 0 ? raw.slice(0, eq) : raw;
    const inline = raw.startsWith('--') && eq > 0 ? raw.slice(eq + 1) : undefined;
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new ArgsError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--connect':
      case '-c':
        out.connect.push(value());
        break;
      case '--host':
        out.host = value();
        break;
      case '--port': {
        const v = value();
        const n = Number(v);
        if (!/^\d+$/.test(v) || n > 65535)
          throw new ArgsError(`--port must be a number from 0 to 65535, not ${JSON.stringify(v)}`);
        out.port = n;
        break;
      }
      case '--tls-cert':
        out.tlsCert = value();
        break;
      case '--tls-key':
        out.tlsKey = value();
        break;
      case '--insecure':
        out.insecure = true;
        break;
      case '--config-dir':
        out.configDir = value();
        break;
      case '--help':
      case '-h':
        out.help = true;
        break;
      default:
        throw new ArgsError(`unknown option ${JSON.stringify(raw)} (see --help)`);
    }
  }
  if (!!out.tlsCert !== !!out.tlsKey) throw new ArgsError('--tls-cert and --tls-key go together');
  if (!isLoopback(out.host) && !out.tlsCert && !out.insecure) {
    throw new ArgsError(
      `refusing to listen on ${out.host} without TLS: the page's secret would cross the network in clear; give --tls-cert and --tls-key, or --insecure if you really mean it`,
    );
  }
  return out;
}

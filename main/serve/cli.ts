/**
 * `npm run serve -- [--connect URI]... [--host ADDR] [--port N] …`: serves the app to a browser
 * and prints one line with the URL to open; the URL's fragment carries the secret.
 */
import { join } from 'node:path';
import { App } from '../app/api.js';
import { parseOrExit } from '../app/args.js';
import { parseServeArgs, SERVE_USAGE } from './args.js';
import { startServeShell } from './server.js';

async function main(): Promise<void> {
  const args = parseOrExit(
    () => parseServeArgs(process.argv.slice(2)),
    (code) => process.exit(code),
  );
  if (!args) return;
  if (args.help) {
    console.log(SERVE_USAGE);
    return;
  }
  const app = new App({
    ...(args.connect.length ? { uris: args.connect } : {}),
    ...(args.configDir ? { configDir: args.configDir } : {}),
  });
  app.on('problem', (p) => console.error(`virtswitch: ${p}`));
  app.on('event', (e) => {
    if (e.type === 'host' && (e.host.status === 'failed' || e.host.status === 'reconnecting') && e.host.error) {
      console.error(`virtswitch: ${e.host.uri}: ${e.host.status}: ${e.host.error}`);
    }
  });
  app.start();
  let shell;
  try {
    shell = await startServeShell({
      app,
      host: args.host,
      port: args.port,
      // The bundle lives in dist/main; the renderer beside it in dist/renderer.
      staticDir: join(__dirname, '..', 'renderer'),
      ...(args.tlsCert && args.tlsKey ? { tls: { cert: args.tlsCert, key: args.tlsKey } } : {}),
      ...(args.publicOrigin ? { publicOrigin: args.publicOrigin } : {}),
      log: (l) => console.error(`virtswitch: ${l}`),
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    console.error(
      `virtswitch: cannot listen on ${args.host}:${args.port}: ${err.code === 'EADDRINUSE' ? 'the port is in use (try --port 0)' : err.message}`,
    );
    await app.close();
    process.exit(1);
  }
  console.log(`virtswitch serving at ${shell.url}`);
  const stop = (): void => {
    void Promise.all([shell.close(), app.close()]).finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();

/** The serve shell's API channel: the whole state first, then every event; commands answered by id. */
import type { WebSocket } from 'ws';
import type { App } from '../app/api.js';
import { ApiError } from '../../common/api-error.js';

/** A client that lets this much pile up unread is too slow; it is dropped rather than buffered for. */
const API_MAX_BUFFERED = 16 << 20;

/** What a browser sent, as a command, or the error to answer it with. */
function readCommand(
  data: Buffer,
  isBinary: boolean,
): { id: number | string | null; command: unknown; params: unknown } | { error: string } {
  if (isBinary) return { error: 'expected a JSON text message, got binary' };
  let msg: unknown;
  try {
    msg = JSON.parse(data.toString('utf8'));
  } catch (e) {
    return { error: `not JSON: ${e instanceof Error ? e.message.slice(0, 120) : 'parse error'}` };
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg))
    return { error: 'expected an object {id, command, params}' };
  const m = msg as { id?: unknown; command?: unknown; params?: unknown };
  const id = typeof m.id === 'number' || typeof m.id === 'string' ? m.id : null;
  return { id, command: m.command, params: m.params };
}

export function handleApi(app: App, ws: WebSocket): void {
  const session = app.session();
  const send = (msg: unknown): void => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > API_MAX_BUFFERED) {
      ws.close(1013, 'client too slow');
      return;
    }
    ws.send(JSON.stringify(msg, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)));
  };
  const onEvent = (event: unknown): void => send({ type: 'event', event });
  app.on('event', onEvent);
  send({ type: 'state', state: app.state() });
  ws.on('message', (data: Buffer, isBinary) => {
    const c = readCommand(data, isBinary);
    if ('error' in c) {
      send({ id: null, error: { code: 'invalid-input', message: c.error } });
      return;
    }
    session.invoke(c.command, c.params).then(
      (result) => send({ id: c.id, result: result ?? null }),
      (e: unknown) =>
        send({ id: c.id, error: e instanceof ApiError ? e.toJSON() : { code: 'internal', message: String(e) } }),
    );
  });
  ws.on('close', () => {
    app.off('event', onEvent);
    session.close();
  });
  ws.on('error', () => ws.terminate());
}

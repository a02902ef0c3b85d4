/**
 * What both bridges share: the app's state and events handed to every subscriber (a late one gets
 * the last state first), the connection listeners, and typed commands over a transport that
 * carries them untyped.
 */
import type { AppEvent, AppState, CommandName, CommandParams, CommandResult } from '../../../common/contract.js';

type ConnectionListener = (connected: boolean, why?: string) => void;

/** The shared part of a Bridge; each bridge adds its transport and implements the rest. */
export abstract class BaseBridge {
  private readonly listeners = new Set<{ onState: (s: AppState) => void; onEvent: (e: AppEvent) => void }>();
  private readonly connectionListeners = new Set<ConnectionListener>();
  private lastState: AppState | undefined;

  /** Sends one command; resolves with its result, or rejects with a BridgeError. */
  protected abstract send(command: CommandName, params: unknown): Promise<unknown>;

  invoke<K extends CommandName>(command: K, params: CommandParams<K>): Promise<CommandResult<K>> {
    return this.send(command, params) as Promise<CommandResult<K>>;
  }

  subscribe(onState: (state: AppState) => void, onEvent: (event: AppEvent) => void): () => void {
    const l = { onState, onEvent };
    this.listeners.add(l);
    if (this.lastState) onState(this.lastState);
    return () => {
      this.listeners.delete(l);
    };
  }

  onConnectionChange(cb: ConnectionListener): () => void {
    this.connectionListeners.add(cb);
    return () => {
      this.connectionListeners.delete(cb);
    };
  }

  protected publishState(state: AppState): void {
    this.lastState = state;
    for (const l of [...this.listeners]) l.onState(state);
  }

  protected publishEvent(event: AppEvent): void {
    for (const l of [...this.listeners]) l.onEvent(event);
  }

  protected connectionChanged(connected: boolean, why?: string): void {
    for (const cb of [...this.connectionListeners]) cb(connected, why);
  }
}

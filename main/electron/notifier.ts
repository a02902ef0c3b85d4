/**
 * Desktop notifications for what goes wrong while nobody is looking: a guest that crashes, a host
 * whose connection drops. Driven by the app's events; each is said once, when it happens (a
 * state the app starts with, or a host retrying again and again, is not news).
 */
import { guestKey, type AppEvent, type AppState, type GuestRef, type HostStatus } from '../../common/contract.js';

export interface NoticeContent {
  title: string;
  body: string;
  /** The guest it is about, so a click can switch to it. */
  guest?: GuestRef;
}

export class Notifier {
  private readonly guestStates = new Map<string, string>();
  private readonly hostStatus = new Map<string, HostStatus>();

  constructor(
    initial: AppState,
    private readonly notify: (n: NoticeContent) => void,
  ) {
    for (const g of initial.guests) this.guestStates.set(guestKey(g), g.state);
    for (const h of initial.hosts) this.hostStatus.set(h.uri, h.status);
  }

  onEvent(e: AppEvent): void {
    switch (e.type) {
      case 'guest': {
        const g = e.guest;
        const key = guestKey(g);
        const before = this.guestStates.get(key);
        this.guestStates.set(key, g.state);
        if (g.state === 'crashed' && before !== undefined && before !== 'crashed') {
          this.notify({
            title: `${g.name} crashed`,
            body: `The guest on ${g.host} stopped unexpectedly${g.reason ? ` (${g.reason})` : ''}.`,
            guest: { host: g.host, uuid: g.uuid },
          });
        }
        break;
      }
      case 'guest-removed':
        this.guestStates.delete(guestKey(e));
        break;
      case 'host': {
        const h = e.host;
        const before = this.hostStatus.get(h.uri) ?? 'connecting';
        this.hostStatus.set(h.uri, h.status);
        const down = h.status === 'reconnecting' || h.status === 'failed';
        const why = h.error ? `: ${h.error}` : '';
        if (down && before === 'connected') {
          this.notify({
            title: `Lost the connection to ${h.uri}`,
            body: `${h.status === 'reconnecting' ? 'Reconnecting' : 'Gave up'}${why}`,
          });
        } else if (h.status === 'failed' && before === 'connecting') {
          this.notify({ title: `Cannot connect to ${h.uri}`, body: `Connection failed${why}` });
        }
        break;
      }
      case 'host-removed':
        this.hostStatus.delete(e.uri);
        break;
      default:
        break;
    }
  }
}

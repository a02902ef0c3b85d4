/**
 * A VNC display with a password: the app reads it from the guest's definition, as virt-manager
 * does, and the console answers the display's request with it. Why it failed, in words.
 */
import type RFB from '@novnc/novnc';
import type { Bridge, GuestRef } from '../../../common/contract.js';

export interface PasswordHooks {
  /** The guest the console shows now. */
  ref(): GuestRef;
  /** Whether `rfb` is still the console's display. */
  current(): boolean;
  /** Says why the display will close. */
  reason(words: string): void;
}

export function answerPasswords(rfb: RFB, bridge: Bridge, on: PasswordHooks): void {
  rfb.addEventListener('credentialsrequired', () => {
    bridge.invoke('guest.vncPassword', on.ref()).then(
      ({ password }) => {
        if (!on.current()) return;
        if (password === null) {
          on.reason('the display asks for a password this connection may not read');
          rfb.disconnect();
        } else rfb.sendCredentials({ password });
      },
      () => rfb.disconnect(),
    );
  });
  rfb.addEventListener('securityfailure', (e) => {
    if (!on.current()) return;
    on.reason(
      `the display refused the password (${(e as CustomEvent<{ reason?: string }>).detail?.reason ?? 'security failure'})`,
    );
  });
}

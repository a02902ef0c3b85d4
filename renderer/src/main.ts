/** Start-up: pick the bridge (the desktop shell's, else the serve shell's) and start the switcher. */
import '@xterm/xterm/css/xterm.css';
import RFB from '@novnc/novnc';
import { VirtSwitch } from './app.js';
import { browserBridge } from './bridge/browser.js';
import { startEarly } from './bridge/early.js';
import { electronBridge } from './bridge/electron.js';
import { showError } from './ui/errors.js';
import { setGuestLife } from './ui/guest-life-hub.js';

function main(): void {
  const root = document.getElementById('app')!;
  // Normally early.js has run already; if app.js got here first, the same start happens now.
  startEarly();
  const bridge = electronBridge() ?? browserBridge();
  if (!bridge) {
    root.classList.add('locked');
    const box = document.createElement('div');
    box.className = 'locked-message';
    const title = document.createElement('h1');
    title.textContent = 'Open virtswitch from the link it printed';
    const text = document.createElement('p');
    text.textContent =
      'This page needs the secret that `npm run serve` prints with its URL (…/#token=…). Open that exact link.';
    box.append(title, text);
    root.append(box);
    return;
  }
  const app = new VirtSwitch(root, bridge);
  setGuestLife(bridge, app.store, (key) => app.switchTo(key), showError);
  // A handle for tests, benchmarks and the curious: the switcher, its bridge and noVNC's RFB.
  Object.assign(window, { virtswitch: app, virtswitchDebug: { bridge, RFB } });
  void app.start();
}

main();

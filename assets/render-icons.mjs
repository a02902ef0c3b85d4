// Renders assets/icon.svg to the PNG sizes a Linux desktop and electron-builder want
// (assets/icons/NxN.png), with the machine's own Chromium (never a downloaded browser):
//   node assets/render-icons.mjs
import { mkdirSync, readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const SIZES = [16, 24, 32, 48, 64, 128, 256, 512];
const svg = readFileSync(new URL('./icon.svg', import.meta.url), 'utf8');
const out = new URL('./icons/', import.meta.url);
mkdirSync(out, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
    '--disable-sync',
  ],
});
try {
  const page = await browser.newPage();
  for (const size of SIZES) {
    await page.setViewportSize({ width: size, height: size });
    const doc = `<!doctype html><style>html,body{margin:0;background:transparent}svg{display:block;width:${size}px;height:${size}px}</style>${svg}`;
    await page.setContent(doc);
    await page.screenshot({ path: new URL(`${size}x${size}.png`, out).pathname, omitBackground: true });
  }
} finally {
  await browser.close();
}
console.log(`rendered ${SIZES.map((s) => `${s}x${s}`).join(' ')} to assets/icons/`);

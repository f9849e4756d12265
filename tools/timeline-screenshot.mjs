// Screenshots a Chrome trace-event file (pfnsim --trace-out) as Chromium's own trace viewer
// draws it: the DevTools Performance panel bundled in Debian's Chromium
// (devtools://devtools/bundled/trace_app.html). Used for docs/img/seed-race-timeline.png; not
// part of the build or of CI. Setup (Debian 12): apt-get install chromium imagemagick;
// npm install playwright-core (in this folder or any parent).
//
// Usage: node tools/timeline-screenshot.mjs TRACE.json OUT.png [--width=W] [--height=H]
//          [--expand=X,Y;X,Y...] [--select=X,Y]
//   --expand  clicks at these CSS pixels, in order (the track triangles of the flame chart)
//   --select  clicks a slice so that the Summary pane shows its JSON
// The positions depend on the trace and the window size: docs/counterexamples.md gives the
// command for the seed race.
import { chromium } from 'playwright-core';
import fs from 'fs';
import os from 'os';
import path from 'path';

const args = process.argv.slice(2).filter(a => !a.startsWith('--'));
const opts = Object.fromEntries(process.argv.slice(2).filter(a => a.startsWith('--')).map(a => a.slice(2).split('=')));
if (args.length !== 2) {
  console.error('usage: node timeline-screenshot.mjs TRACE.json OUT.png [--width=W] [--height=H] [--expand=X,Y;...] [--select=X,Y]');
  process.exit(2);
}
const trace = path.resolve(args[0]);
const out = path.resolve(args[1]);
const W = Number(opts.width ?? 1600), H = Number(opts.height ?? 900);

const ud = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-ud-'));   // fresh, empty profile
const ctx = await chromium.launchPersistentContext(ud, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: W, height: H },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await ctx.newPage();
page.on('console', m => { if (!/^(timeEnd|Autofocus)/.test(m.text())) console.log('[devtools console]', m.type(), m.text()); });
page.on('pageerror', e => console.log('[devtools pageerror]', e.message));

console.log('Chromium', ctx.browser()?.version() ?? '(persistent context)', await page.evaluate(() => navigator.userAgent));
await page.goto('devtools://devtools/bundled/trace_app.html');
await page.waitForTimeout(2500);
// The standalone DevTools has no inspected target: dismiss the "Debugging connection was closed" dialog.
await page.keyboard.press('Escape');
await page.waitForTimeout(500);
await page.getByRole('tab', { name: 'Performance' }).click({ timeout: 10000 });
await page.waitForTimeout(1000);
// "Load trace…" button is backed by a hidden <input type=file accept=".json,.gz,...">.
await page.locator('input[type=file]').first().setInputFiles(trace);
await page.waitForTimeout(4000);
// Close the "Keyboard shortcuts for flame chart" popover and the Insights/Annotations sidebar.
const close = page.getByRole('button', { name: 'Close', exact: true });
if (await close.count()) await close.first().click();
await page.getByRole('button', { name: 'Hide sidebar' }).locator('visible=true').first().click();
await page.waitForTimeout(800);
// Any import problem would surface as a DevTools console message / page error (logged above) or a dialog.
const dialogs = await page.getByRole('dialog').count();
console.log('dialogs open after load:', dialogs);
// The flame chart is a canvas: expand the track groups by clicking their triangles, in
// the order given (open the lower ones first, so that opening one does not move the next).
for (const xy of (opts.expand ?? '').split(';').filter(Boolean)) {
  const [x, y] = xy.split(',').map(Number);
  await page.mouse.click(x, y); await page.waitForTimeout(500);
}
if (opts.select) { const [x, y] = opts.select.split(',').map(Number); await page.mouse.click(x, y); await page.waitForTimeout(800); }
await page.mouse.move(W - 5, H - 5);   // no hover tooltip in the shot
await page.waitForTimeout(500);
await page.screenshot({ path: out });
console.log('wrote', out);
await ctx.close();
fs.rmSync(ud, { recursive: true, force: true });

// The overlay mode: the integrator's page loads /sdk/heshen.js and opens the flow over itself;
// the person verifies inside the frame and the page hears how it ended.
//
//   node overlay_flow.mjs '<plan JSON>'   plan: { integratorUrl, video, screenshots, name, lang }
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

const plan = JSON.parse(process.argv[2]);
const report = { pages: [] };
fs.mkdirSync(plan.screenshots, { recursive: true });
for (const file of fs.readdirSync(plan.screenshots)) {
  if (file.startsWith(`${plan.name}-`)) fs.rmSync(path.join(plan.screenshots, file));
}
const userDataDir = fs.mkdtempSync(path.join(plan.screenshots, '.profile-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.HESHEN_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-video-capture=${plan.video}`,
    '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
  ],
  viewport: { width: 390, height: 844 },
  isMobile: true,
  hasTouch: true,
  deviceScaleFactor: 2,
  locale: plan.lang,
  extraHTTPHeaders: { 'Accept-Language': plan.lang },
});
const testid = (id) => `[data-testid="${id}"]`;

async function shot(page, label) {
  const file = path.join(plan.screenshots, `${plan.name}-${String(report.pages.length + 1).padStart(2, '0')}-${label}.png`);
  await page.screenshot({ path: file });
  report.pages.push({ label, file });
}

try {
  const page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(30_000);
  await page.goto(plan.integratorUrl);
  await page.locator(testid('integrator-verify')).click();
  const frame = page.frameLocator('iframe[data-heshen="frame"]');
  await frame.locator(testid('consent-agree')).check();
  await shot(page, 'overlay-consent');
  await frame.locator(testid('consent-continue')).click();
  await frame.locator(testid('liveness-start')).click();
  await frame.locator(testid('result')).waitFor({ timeout: 180_000 });
  await shot(page, 'overlay-result');
  report.code = Number(await frame.locator(testid('result')).getAttribute('data-code'));
  await frame.locator(testid('result-continue')).click();
  await page.locator(`${testid('integrator-result')}:not(:empty)`).waitFor();
  report.told = JSON.parse(await page.locator(testid('integrator-result')).innerText());
  report.overlayGone = (await page.locator('[data-heshen="overlay"]').count()) === 0;
  await shot(page, 'integrator-told');
  console.log(JSON.stringify(report));
} catch (err) {
  const page = context.pages()[0];
  if (page) await shot(page, 'failure').catch(() => {});
  report.error = String(err && err.stack ? err.stack : err);
  console.log(JSON.stringify(report));
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}

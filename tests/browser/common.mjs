// What both browser drivers share: Debian's chromium with the fake camera, and screenshots
// named after the walk, replacing the walk's screenshots of an earlier run.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

export async function launch(plan, { denyCamera = false, audio = null, viewport, mobile, lang }) {
  fs.mkdirSync(plan.screenshots, { recursive: true });
  for (const file of fs.readdirSync(plan.screenshots)) {
    if (file.startsWith(`${plan.name}-`)) fs.rmSync(path.join(plan.screenshots, file));
  }
  const userDataDir = fs.mkdtempSync(path.join(plan.screenshots, '.profile-'));
  const args = [
    // Without the fake UI, the permission prompt is answered "no": the camera is refused.
    ...(denyCamera ? [] : ['--use-fake-ui-for-media-stream']),
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-video-capture=${plan.video}`,
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--disable-background-networking',
    '--no-first-run',
    '--autoplay-policy=no-user-gesture-required',
  ];
  if (audio) args.push(`--use-file-for-fake-audio-capture=${audio}`);
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.HESHEN_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args,
    viewport,
    isMobile: mobile,
    hasTouch: mobile,
    deviceScaleFactor: mobile ? 2 : 1,
    locale: lang,
    extraHTTPHeaders: { 'Accept-Language': lang },
    // A plan may pose as another browser, e.g. WeChat's mini-program web-view.
    ...(plan.userAgent ? { userAgent: plan.userAgent } : {}),
  });
  const close = async () => {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  };
  return { context, close };
}

export function screenshots(plan, report, { fullPage = true } = {}) {
  return async (page, label, { viewport = false } = {}) => {
    const n = String(report.pages.length + 1).padStart(2, '0');
    const file = path.join(plan.screenshots, `${plan.name}-${n}-${label}.png`);
    await page.screenshot({ path: file, fullPage: fullPage && !viewport });
    report.pages.push({ label, url: page.url(), file });
  };
}

export const testid = (id) => `[data-testid="${id}"]`;

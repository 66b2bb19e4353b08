// Walks one person through heshen's H5 flow in Debian's chromium, filmed by Chromium's fake
// camera (a y4m file), and saves a screenshot of every page it passes through.
//
//   node h5_flow.mjs '<plan JSON>'
//
// Plan: { startUrl, video, audio?, screenshots, name, lang, viewport: {width, height, mobile},
//         identity?: { cardFront?, cardBack?, name?, idCard? }, redirectPrefix?,
//         tamper?: "reuse-challenge", leaveFlash?: true, userAgent?,
//         dropPart?: n (the first try of recording part n is cut off, as a phone's network does),
//         reloadAtPart?: n (the page is reloaded while part n is on its way) }
// Prints one JSON line: { code, finalUrl, pages: [...], ... } or { error }.
import { launch, screenshots, testid } from './common.mjs';

const plan = JSON.parse(process.argv[2]);
const report = { pages: [] };
const { context, close } = await launch(plan, {
  denyCamera: !!plan.denyCamera,
  audio: plan.audio,
  viewport: { width: plan.viewport.width, height: plan.viewport.height },
  mobile: !!plan.viewport.mobile,
  lang: plan.lang,
});
const shot = screenshots(plan, report);

async function main() {
  const page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(30_000);
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  const thirdParty = [];
  const origin = new URL(plan.startUrl).origin;
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(origin) && !(plan.redirectPrefix && u.startsWith(plan.redirectPrefix)) && !u.startsWith('data:') && !u.startsWith('blob:')) thirdParty.push(u);
  });

  await page.goto(plan.startUrl);
  if (await page.locator(testid('problem')).count()) {
    await shot(page, 'problem');
    report.problemCode = await page.locator(testid('problem-code')).innerText();
    return;
  }
  await page.locator(testid('consent-agree')).waitFor();
  await shot(page, 'consent');
  await page.locator(testid('doc-privacy')).click();
  await page.locator(testid('doc-body')).waitFor();
  await shot(page, 'privacy');
  await page.locator(testid('doc-back')).click();
  await page.locator(testid('consent-agree')).check();
  await page.locator(testid('consent-continue')).click();

  await page.waitForURL(/\/(identity|liveness)$/);
  if (page.url().endsWith('/identity')) {
    await shot(page, 'identity');
    const id = plan.identity || {};
    if (id.cardFront) {
      await page.locator(testid('idcard-front-input')).setInputFiles(id.cardFront);
      await page.locator(`${testid('idcard-front-status')}[data-state]`).waitFor({ timeout: 60_000 });
      report.frontStatus = await page.locator(testid('idcard-front-status')).getAttribute('data-state');
      report.ocrName = await page.locator(testid('identity-name')).inputValue();
      report.ocrIdCard = await page.locator(testid('identity-idcard')).inputValue();
      await shot(page, 'identity-card-read');
    }
    if (id.name !== undefined) await page.locator(testid('identity-name')).fill(id.name);
    if (id.idCard !== undefined) await page.locator(testid('identity-idcard')).fill(id.idCard);
    await page.locator(testid('identity-confirm')).click();
    await page.waitForURL(/\/(identity|liveness)$/);
    if (page.url().endsWith('/identity')) {
      await shot(page, 'identity-refused');
      report.identityError = await page.locator(testid('identity-error')).innerText();
      return;
    }
  }

  await page.locator(testid('liveness-start')).waitFor();
  await shot(page, 'liveness');
  if (await page.locator(testid('flash-notice')).count()) {
    report.flashNotice = await page.locator(testid('flash-notice')).innerText();
    if (plan.leaveFlash) {
      await page.locator(testid('flash-leave')).click();
      await page.locator(testid('left-message')).waitFor();
      await shot(page, 'left');
      report.left = await page.locator(testid('left-message')).innerText();
      await page.locator(testid('lang-switch')).click();
      await page.locator(testid('left-message')).waitFor();
      await shot(page, 'left-other-language');
      await page.locator(testid('left-continue')).click();
      await page.waitForURL((u) => !u.href.startsWith(origin), { timeout: 30_000 });
      report.finalUrl = page.url();
      return;
    }
  }
  report.uploadPath = await page.locator('script[data-upload]').getAttribute('data-upload');
  // Count every recording part sent, and cut one off once when the plan says so.
  report.partPuts = {};
  report.partLists = 0;
  let reloading = null;
  await page.route(/\/liveness\/[0-9a-f]+\/parts(\/\d+)?$/, async (route) => {
    const request = route.request();
    const index = request.url().match(/\/parts\/(\d+)$/);
    if (request.method() === 'GET') report.partLists += 1;
    if (request.method() === 'PUT' && index) {
      const n = Number(index[1]);
      report.partPuts[n] = (report.partPuts[n] || 0) + 1;
      if (plan.dropPart === n && report.partPuts[n] === 1) {
        // The page as the person sees it mid-upload, its progress bar part of the way.
        await shot(page, 'uploading', { viewport: true }).catch(() => {});
        await route.abort('connectionreset');
        return;
      }
      if (plan.reloadAtPart === n && !report.reloaded) {
        report.reloaded = true;
        await route.abort('aborted');
        reloading = page.reload();
        return;
      }
    }
    if (request.method() === 'GET' && report.reloaded && !report.resumeSeen) {
      // After the reload, the page picks up the recording it kept: as the person sees it.
      report.resumeSeen = await page.locator(testid('liveness-prompt')).innerText().catch(() => '');
      await shot(page, 'resuming', { viewport: true }).catch(() => {});
    }
    await route.continue();
  });
  // Note each prompt and whether the upload showed its progress, as the person saw them.
  await page.evaluate(() => {
    window.__seen = { prompts: [], progress: false };
    const prompt = document.querySelector('[data-testid="liveness-prompt"]');
    new MutationObserver(() => window.__seen.prompts.push(prompt.textContent)).observe(prompt, { childList: true, characterData: true, subtree: true });
    const bar = document.querySelector('[data-testid="upload-progress"]');
    new MutationObserver(() => { if (!bar.hidden) window.__seen.progress = true; }).observe(bar, { attributes: true });
    window.addEventListener('beforeunload', () => sessionStorage.setItem('seen', JSON.stringify(window.__seen)));
  });
  await page.locator(testid('liveness-start')).click();
  if (report.flashNotice) {
    // The screen as the person sees it while a colour is shown.
    await page.locator(`${testid('flash-screen')}:not([hidden])`).waitFor({ timeout: 30_000 });
    await page.waitForTimeout(700);
    await shot(page, 'flashing', { viewport: true });
    report.flashColour = await page.locator(testid('flash-screen')).evaluate((e) => e.style.background);
  }
  if (plan.denyCamera) {
    await page.locator(testid('camera-error')).waitFor({ state: 'visible' });
    report.cameraError = await page.locator(testid('camera-error')).innerText();
    await shot(page, 'camera-refused');
    return;
  }
  await page.waitForURL(/\/(processing|result)$/, { timeout: 90_000 });
  if (reloading) await reloading;
  report.seen = await page.evaluate(() => JSON.parse(sessionStorage.getItem('seen') || 'null'));
  if (page.url().endsWith('/processing')) await shot(page, 'processing');
  await page.waitForURL(/\/result$/, { timeout: 180_000 });
  await page.locator(testid('result')).waitFor();
  await shot(page, 'result');
  report.code = Number(await page.locator(testid('result')).getAttribute('data-code'));
  report.canRetry = (await page.locator(testid('result-retry')).count()) > 0;

  if (plan.tamper === 'reuse-challenge') {
    // The same recording path again: the challenge took its one recording already.
    report.reuseStatus = await page.evaluate(async (url) => {
      const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'video/webm' }, body: new Uint8Array(2048) });
      return r.status;
    }, report.uploadPath);
  }

  await page.locator(testid('lang-switch')).click();
  await page.locator(testid('result')).waitFor();
  await shot(page, 'result-other-language');

  const next = page.locator(`a${testid('result-continue')}`);
  if (await next.count()) {
    await next.click();
    // Off to the integrator, or, in a mini-program's web-view, to the page it returns at.
    await page.waitForURL((u) => !u.href.startsWith(origin) || u.pathname === '/mp/v1/return', { timeout: 30_000 });
    report.finalUrl = page.url();
    if (new URL(report.finalUrl).pathname === '/mp/v1/return') {
      await page.locator(testid('mp-return')).waitFor();
      await shot(page, 'mp-return');
      report.mpReturnDone = await page.locator(testid('mp-return')).getAttribute('data-verify-done');
    }
  }
  report.consoleErrors = consoleErrors;
  report.thirdParty = thirdParty;
}

try {
  await main();
  console.log(JSON.stringify(report));
} catch (err) {
  const page = context.pages()[0];
  if (page) await shot(page, 'failure').catch(() => {});
  report.error = String(err && err.stack ? err.stack : err);
  console.log(JSON.stringify(report));
} finally {
  await close();
}

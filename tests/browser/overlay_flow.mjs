// The overlay mode: the integrator's page loads /sdk/heshen.js and opens the flow over itself;
// the person verifies inside the frame and the page hears how it ended.
//
//   node overlay_flow.mjs '<plan JSON>'   plan: { integratorUrl, video, screenshots, name, lang }
import { launch, screenshots, testid } from './common.mjs';

const plan = JSON.parse(process.argv[2]);
const report = { pages: [] };
const { context, close } = await launch(plan, {
  viewport: { width: 390, height: 844 },
  mobile: true,
  lang: plan.lang,
});
const shot = screenshots(plan, report, { fullPage: false });

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
  await close();
}

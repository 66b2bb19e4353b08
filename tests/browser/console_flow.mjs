// Drives the operators' console in Debian's chromium and saves a screenshot of every page.
//
//   node console_flow.mjs '<plan JSON>'
//
// Plan: { phase: "setup" | "tour", url, screenshots, name, lang, viewport: {width, height, mobile},
//         adminPassword (setup: the printed one-time password; tour: the admin's own),
//         newPassword, reviewerPassword?, document (a file to upload as a qualification),
//         app, ruleId?, revision? }
// setup: first sign-in with the printed password → own password → app → key → reviewer →
//        the whole wizard → submit → the reviewer approves.
// tour:  every console page in the plan's language and viewport, and the audit log's rows.
// Prints one JSON line: { pages: [...], ... } or { error }.
import { launch, screenshots, testid } from './common.mjs';

const plan = JSON.parse(process.argv[2]);
const report = { pages: [] };
const { context, close } = await launch(plan, {
  viewport: { width: plan.viewport.width, height: plan.viewport.height },
  mobile: !!plan.viewport.mobile,
  lang: plan.lang,
  // The console uses no camera; the launcher still wants a feed.
});
const shot = screenshots(plan, report);
const errors = [];
// A status the walk provokes on purpose (a refused sign-in answers 401).
let expectedStatus = 401;

async function signIn(page, user, password) {
  await page.goto(`${plan.url}/console/login`);
  await page.locator(testid('login-user')).fill(user);
  await page.locator(testid('login-password')).fill(password);
  await page.locator(testid('login-submit')).click();
}

async function changePassword(page, current, next) {
  await page.waitForURL(/\/console\/password$/);
  await page.locator(testid('password-first')).waitFor();
  await shot(page, 'password-first');
  await page.locator(testid('password-current')).fill(current);
  await page.locator(testid('password-new')).fill(next);
  await page.locator(testid('password-repeat')).fill(next);
  await page.locator(testid('password-submit')).click();
  await page.waitForURL(/\/console\/apps$/);
}

async function signOut(page) {
  await page.locator(testid('logout')).click();
  await page.waitForURL(/\/console\/login$/);
}

async function setup(page) {
  await page.goto(`${plan.url}/console`);
  await page.waitForURL(/\/console\/login$/);
  await shot(page, 'login');
  // A wrong password first: the page says so and keeps the name.
  await signIn(page, 'admin', 'wrong password');
  await page.locator(testid('login-error')).waitFor();
  await shot(page, 'login-error');
  await signIn(page, 'admin', plan.adminPassword);
  await changePassword(page, plan.adminPassword, plan.newPassword);
  await shot(page, 'apps-empty');

  await page.locator(testid('app-id')).fill(plan.app);
  await page.locator(testid('app-name')).fill(plan.appName);
  await page.locator(testid('app-create')).click();
  await page.waitForURL(new RegExp(`/console/apps/${plan.app}$`));
  await shot(page, 'app');

  await page.locator(testid('key-name')).fill('backend');
  await page.locator(testid('key-create')).click();
  await page.locator(testid('key-secret-key')).waitFor();
  report.secretId = (await page.locator(testid('key-secret-id')).innerText()).trim();
  report.secretKey = (await page.locator(testid('key-secret-key')).innerText()).trim();
  await shot(page, 'key-created');
  await page.locator(testid('secret-done')).click();
  await page.locator(testid('key-row')).first().waitFor();

  await page.locator(testid('nav-users')).click();
  await page.locator(testid('user-new-name')).fill('rita');
  await page.locator(testid('user-new-role')).selectOption('reviewer');
  await page.locator(testid('user-new-apps')).fill(plan.app);
  await shot(page, 'users');
  await page.locator(testid('user-create')).click();
  const reviewerPassword = (await page.locator(testid('user-one-time-password')).innerText()).trim();
  await shot(page, 'user-created');

  await page.goto(`${plan.url}/console/apps/${plan.app}`);
  await page.locator(testid('rule-new')).click();
  await page.waitForURL(/\/step\/1$/);
  const base = page.url().replace(/\/step\/1$/, '');
  report.ruleId = base.split('/rules/')[1].split('/')[0];
  report.revision = Number(base.split('/v/')[1]);
  // 1 scene: WeChat's overlay mode, which needs a qualification.
  await shot(page, 'wizard-1-scene');
  await page.locator(testid('wizard-scene-wechat_h5_overlay')).check();
  await page.locator(testid('wizard-next')).click();
  // 2 qualification: the industry, and a document.
  await page.waitForURL(/\/step\/2$/);
  await page.locator(testid('document-file')).setInputFiles(plan.document);
  await page.locator(testid('document-upload')).click();
  await page.locator(testid('document-link')).first().waitFor();
  await page.locator(testid('wizard-industry')).selectOption('finance');
  await shot(page, 'wizard-2-qualification');
  await page.locator(testid('wizard-next')).click();
  // 3 page information.
  await page.waitForURL(/\/step\/3$/);
  await page.locator(testid('wizard-page-title')).fill(plan.pageTitle);
  await page.locator(testid('wizard-name')).fill(plan.ruleName);
  await page.locator(testid('wizard-description')).fill('Opening an account needs a verified holder.');
  await shot(page, 'wizard-3-page');
  await page.locator(testid('wizard-next')).click();
  // 4 comparison source.
  await page.waitForURL(/\/step\/4$/);
  await page.locator(testid('wizard-compare-authority')).check();
  await shot(page, 'wizard-4-compare');
  await page.locator(testid('wizard-next')).click();
  // 5 ID-card OCR.
  await page.waitForURL(/\/step\/5$/);
  // The identity DetectAuth passes, else the card read by OCR.
  await page.locator(testid('wizard-identity-api_or_ocr')).check();
  await shot(page, 'wizard-5-ocr');
  await page.locator(testid('wizard-next')).click();
  // 6 liveness: one action, an open mouth (what the filmed person does).
  await page.waitForURL(/\/step\/6$/);
  await page.locator(testid('wizard-liveness-action')).check();
  for (const code of ['2', '3', '4']) await page.locator(testid(`wizard-action-${code}`)).uncheck();
  await page.locator(testid('wizard-action-count')).fill('1');
  await page.locator(testid('wizard-sim-threshold')).fill('72');
  await page.locator(testid('wizard-max-attempts')).fill('2');
  await shot(page, 'wizard-6-liveness');
  await page.locator(testid('wizard-next')).click();
  // 7 result page copy.
  await page.waitForURL(/\/step\/7$/);
  await page.locator(testid('wizard-success-copy')).fill(plan.successCopy);
  await page.locator(testid('wizard-failure-copy')).fill('Verification failed: please try again.');
  await shot(page, 'wizard-7-result');
  await page.locator(testid('wizard-next')).click();
  // 8 confirm, with the live preview of the H5 pages.
  await page.waitForURL(new RegExp(`/v/${report.revision}$`));
  await page.frameLocator(testid('preview-success')).locator('body').waitFor();
  report.previewSuccess = await page.frameLocator(testid('preview-success')).locator('main').innerText();
  report.previewTitle = await page.frameLocator(testid('preview-consent')).locator(testid('page-title')).innerText();
  await shot(page, 'wizard-8-confirm');
  await page.locator(testid('wizard-submit')).click();
  await page.locator(`${testid('revision-status')}[data-status="pending"]`).waitFor();
  await shot(page, 'submitted');
  // An eID merchant, applied for on the app's page.
  await page.goto(`${plan.url}/console/apps/${plan.app}`);
  await page.locator(testid('merchant-name')).fill('Branch counter');
  await page.locator(testid('merchant-liveness')).selectOption('silent');
  await page.locator(testid('merchant-apply')).click();
  await page.locator(testid('merchant-summary')).waitFor();
  report.merchantPath = new URL(page.url()).pathname;
  await shot(page, 'merchant-applied');
  await signOut(page);

  // The reviewer signs in for the first time and approves.
  await signIn(page, 'rita', reviewerPassword);
  await changePassword(page, reviewerPassword, plan.reviewerPassword);
  await page.locator(testid('nav-review')).click();
  await page.locator(testid('review-row')).first().waitFor();
  await shot(page, 'review-queue');
  await page.locator(testid('review-open')).first().click();
  await page.locator(testid('review-note')).fill('Documents checked.');
  await shot(page, 'review-decide');
  await page.locator(testid('review-approve')).click();
  await page.locator(`${testid('revision-status')}[data-status="approved"]`).waitFor();
  report.issuedRuleId = (await page.locator(testid('rule-id')).innerText()).trim();
  await shot(page, 'approved');
  // Then the merchant's application.
  await page.locator(testid('nav-review')).click();
  await page.locator(testid('review-open')).first().click();
  await page.locator(testid('merchant-summary')).waitFor();
  await page.locator(testid('review-note')).fill('Licence checked.');
  await page.locator(testid('review-approve')).click();
  await page.locator(testid('merchant-id')).waitFor();
  report.merchantId = (await page.locator(testid('merchant-id')).innerText()).trim();
  await shot(page, 'merchant-approved');
  await signOut(page);
}

async function tour(page) {
  await page.goto(`${plan.url}/console/login`);
  await shot(page, 'login');
  await signIn(page, 'admin', plan.adminPassword);
  await page.waitForURL(/\/console\/apps$/);
  const visits = [
    ['apps', '/console/apps'],
    ['app', `/console/apps/${plan.app}`],
    ['rule', `/console/apps/${plan.app}/rules/${plan.ruleId}`],
    ['revision', `/console/apps/${plan.app}/rules/${plan.ruleId}/v/${plan.revision}`],
    ['merchant', plan.merchantPath],
    ['records', `/console/apps/${plan.app}/records`],
    ['record', `/console/apps/${plan.app}/records/${plan.token}`],
    ['statistics', `/console/apps/${plan.app}/statistics`],
    ['reconciliation', `/console/apps/${plan.app}/reconciliation`],
    ['review', '/console/review'],
    ['users', '/console/users'],
    ['security', '/console/security'],
    ['password', '/console/password'],
    ['audit', '/console/audit'],
  ];
  for (const [label, path] of visits) {
    await page.goto(`${plan.url}${path}`);
    await page.locator(testid('page-title')).waitFor();
    await shot(page, label);
    if (label === 'statistics') {
      report.statsIssued = await page.locator(testid('stats-issued')).textContent();
      report.statsPassed = await page.locator(testid('stats-passed')).textContent();
    }
    if (label === 'record') {
      report.recordAttempts = await page.locator(testid('attempt-row')).count();
      report.recordChecks = await page.locator(testid('attempt-check')).count();
    }
    if (label === 'reconciliation') {
      report.reconCharges = await page.locator(testid('recon-charge')).count();
    }
  }
  report.auditActions = await page.locator(testid('audit-row')).evaluateAll(
    (rows) => rows.map((r) => r.getAttribute('data-action')),
  );
  report.auditChain = await page.locator(testid('audit-chain')).getAttribute('data-state');
  // A new version of the approved rule, through every wizard step (left as a draft).
  await page.goto(`${plan.url}/console/apps/${plan.app}/rules/${plan.ruleId}`);
  await page.locator(testid('rule-edit')).click();
  await page.waitForURL(/\/step\/1$/);
  for (let step = 1; step <= 7; step++) {
    await page.locator(`${testid('wizard-form')}[data-step="${step}"]`).waitFor();
    await shot(page, `wizard-${step}`);
    await page.locator(testid('wizard-next')).click();
  }
  await page.locator(testid('wizard-submit')).waitFor();
  await shot(page, 'wizard-8');
  // An unknown page answers in the console's own words (and a 404 the browser logs).
  expectedStatus = 404;
  await page.goto(`${plan.url}/console/no-such-page`);
  await page.locator(testid('problem-message')).waitFor();
  await shot(page, 'not-found');
}

try {
  const page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().includes(`status of ${expectedStatus}`)) errors.push(m.text());
  });
  if (plan.phase === 'setup') await setup(page);
  else await tour(page);
  report.consoleErrors = errors;
} catch (e) {
  report.error = String(e && e.stack || e);
  try {
    const page = context.pages()[0];
    if (page) await shot(page, 'failure');
  } catch (_) { /* the failure itself is what matters */ }
}
await close();
console.log(JSON.stringify(report));

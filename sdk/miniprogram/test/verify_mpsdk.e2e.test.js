'use strict';
// verify_mpsdk (seed 002) against a real heshen server: an integrator's mini-program with
// the SDK copied in calls wx.startVerify with a BizToken its backend got from DetectAuth
// (official Node SDK); "the person" completes heshen's H5 flow in the SDK page's web-view;
// the backend pulls GetDetectInfoEnhanced. Environment: see heshen_env.js.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');

const { WeChat } = require('./wx_simulator');
const apps = require('./apps');
const person = require('./person');
const backend = require('./heshen_env');

const E2E = { timeout: 300000 };
const SDK_PAGE = 'verify_mpsdk/index/index';
const HOME = 'pages/home/home';

async function integrator(options = {}) {
  const e = backend.env();
  const world = new WeChat(options);
  const app = apps.installVerifyIntegrator(world, e.HESHEN_URL);
  world.open(apps.INTEGRATOR_APPID);
  await world.idle();
  assert.equal(app.appDefinition.globalData.initError, null);
  return { world, app, home: app.top().instance };
}

function notPassed(result) {
  return !(result && result.Text && result.Text.ErrCode === 0);
}

test('verify_mpsdk: the person completes the flow; success once; the backend pulls a pass', E2E, async () => {
  const e = backend.env();
  const token = await backend.detectAuth();
  const { world, app, home } = await integrator();
  home.verify(token);
  await world.idle();
  assert.equal(app.top().route, SDK_PAGE);
  const view = apps.webViewOf(world, app);
  assert.ok(view, 'the SDK page hosts the flow in a web-view');
  assert.match(view.src, /[?&]mp=1(&|$)/, 'the Url of GET /mp/v1/tokens marks mini-program mode');
  const { returnUrl, visited } = await person.complete(view, { video: e.video('verify_mpsdk') });
  await world.idle();
  assert.match(returnUrl, /\/mp\/v1\/return\?.*verifyDone=1/, visited.join(' → '));
  assert.deepEqual(home.successes, [{ token, verifyDone: true }]);
  assert.deepEqual(home.failures, []);
  assert.equal(app.top().route, HOME, 'the SDK page closed itself');

  const result = await backend.detectResult(token);
  assert.equal(result.Text.ErrCode, 0, JSON.stringify(result.Text));
  assert.equal(result.Text.LivenessMode, 3, 'silent liveness');

  // The same token again: heshen says finished (TokenStatus 3); the result can be pulled.
  home.verify(token);
  await world.idle();
  assert.deepEqual(home.successes[1], { token, verifyDone: true, alreadyFinished: true });
  assert.equal(app.top().route, HOME);
  assert.equal(home.failures.length, 0);
});

test('verify_mpsdk: the person quitting (back button, or the flow\'s way out) is fail USER_QUIT', E2E, async () => {
  const { world, app, home } = await integrator();
  const first = await backend.detectAuth();
  home.verify(first);
  await world.idle();
  await person.arrive(apps.webViewOf(world, app));
  world.pressBack();
  await world.idle();
  assert.equal(app.top().route, HOME);

  const second = await backend.detectAuth();
  home.verify(second);
  await world.idle();
  const end = await person.leave(apps.webViewOf(world, app));
  await world.idle();
  assert.match(end, /\/mp\/v1\/return\?token=/);
  assert.doesNotMatch(end, /verifyDone=1/);
  assert.equal(app.top().route, HOME);

  assert.deepEqual(
    home.failures.map((f) => [f.ErrorCode, f.token]),
    [
      [10004, first],
      [10004, second],
    ],
  );
  for (const f of home.failures) assert.match(f.ErrorMsg, /退出/);
  assert.deepEqual(home.successes, []);
  for (const token of [first, second]) {
    const result = await backend.detectResult(token).catch((err) => ({ error: err.message }));
    assert.ok(notPassed(result), `${token} did not pass: ${JSON.stringify(result)}`);
  }
});

test('verify_mpsdk: wrong, unknown, expired and missing tokens fail at once with their ErrorCode', E2E, async () => {
  const e = backend.env();
  const { world, app, home } = await integrator();
  const unknown = crypto.randomUUID().toUpperCase();
  for (const token of ['not-a-token', unknown, e.HESHEN_EXPIRED_TOKEN]) {
    home.verify(token);
    await world.idle();
    assert.equal(app.top().route, HOME, `${token}: straight back`);
  }
  home.verify('');
  await world.idle();
  assert.deepEqual(
    home.failures.map((f) => [f.ErrorCode, f.token]),
    [
      [10002, 'not-a-token'],
      [10002, unknown],
      [10003, e.HESHEN_EXPIRED_TOKEN],
      [10001, undefined],
    ],
  );
  for (const f of home.failures) assert.ok(typeof f.ErrorMsg === 'string' && f.ErrorMsg.length > 0);
  assert.match(home.failures[2].ErrorMsg, /过期/);
  assert.deepEqual(home.successes, []);
  assert.equal(
    world.log.filter((l) => l.endsWith(`${SDK_PAGE}:onLoad`)).length,
    3,
    'the page asked heshen for the three tokens; the missing one never left startVerify',
  );
});

test('verify_mpsdk: an old base library is refused with a clear ErrorMsg', E2E, async () => {
  const token = await backend.detectAuth();
  const { world, app, home } = await integrator({ baseLibrary: '1.6.0' });
  home.verify(token);
  await world.idle();
  assert.equal(app.top().route, HOME, 'no page opened');
  assert.equal(home.failures.length, 1);
  assert.equal(home.failures[0].ErrorCode, 10006);
  assert.match(home.failures[0].ErrorMsg, /微信版本过低.*基础库 1\.6\.0.*web-view.*升级/);
});

'use strict';
// mp_ecard_sdk (seed 001) and the verification mini-program (seed 000's jump protocol)
// against a real heshen server. The integrator's backend gets an EidToken from GetEidToken
// (official Node SDK); its mini-program calls startEid; the person agrees, jumps to the
// verifier, completes heshen's flow in its web-view and is sent back; the backend pulls
// GetEidResult. Also the raw protocol of seed 000 (navigateToMiniProgram without the SDK).

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');

const { WeChat } = require('./wx_simulator');
const apps = require('./apps');
const person = require('./person');
const backend = require('./heshen_env');

const E2E = { timeout: 300000 };
const HOME = 'pages/home/home';
const RAW_APPID = 'wxrawintegrator01';

async function eidWorld({ server = true, baseLibrary } = {}) {
  const e = backend.env();
  const world = new WeChat(baseLibrary ? { baseLibrary } : {});
  const verifier = apps.installVerifier(world, e.HESHEN_URL);
  const app = apps.installEidIntegrator(world, { server: server ? e.HESHEN_URL : undefined });
  world.open(apps.INTEGRATOR_APPID);
  await world.idle();
  return { world, verifier, app, home: app.top().instance, own: app.appDefinition.globalData.ownShowLogic };
}

async function agreeAndStart(world, app) {
  const index = app.top();
  assert.equal(index.route, 'mp_ecard_sdk/index/index');
  assert.equal(index.instance.data.state, 'consent', 'the consent is shown');
  index.tap('agree', { value: ['agree'] });
  index.tap('start');
  await world.idle();
}

test('mp_ecard_sdk: the person completes the flow in the verifier; callback once; App onShow excluded', E2E, async () => {
  const e = backend.env();
  const token = await backend.eidToken();
  const { world, verifier, app, home, own } = await eidWorld();
  assert.deepEqual(own, [1001], "the integrator's own onShow logic ran at launch");
  home.goSDK(token);
  await world.idle();
  // The four protocols are pages the person can read.
  for (const doc of ['service', 'privacy', 'userAccredit', 'eid']) {
    app.top().tap(`doc-${doc}`);
    await world.idle();
    assert.equal(app.top().route, `mp_ecard_sdk/protocol/${doc}/index`);
    world.pressBack();
    await world.idle();
  }
  await agreeAndStart(world, app);
  assert.equal(world.foreground, verifier, 'navigateToMiniProgram opened the verifier');
  const entered = verifier.appDefinition.globalData.enter;
  assert.equal(entered.scene, 1037);
  assert.deepEqual(entered.referrerInfo, { appId: apps.INTEGRATOR_APPID, extraData: { token } });
  assert.equal(verifier.stack[0].route, 'pages/authPage/auth');
  assert.equal(verifier.top().route, 'pages/webview/webview');

  const { returnUrl, visited } = await person.complete(apps.webViewOf(world, verifier), { video: e.video('mp_ecard_sdk') });
  await world.idle();
  assert.match(returnUrl, /verifyDone=1/, visited.join(' → '));
  assert.equal(world.foreground, app, 'navigateBackMiniProgram returned to the integrator');
  assert.deepEqual(home.results, [{ token, verifyDone: true }], 'verifyDoneCallback once');
  assert.equal(app.top().route, HOME, 'the SDK page closed');
  assert.deepEqual(own, [1001], "the return (1038 + the verifier's AppId) did not run the integrator's logic");

  const result = await backend.eidResult(token);
  assert.equal(result.Text.ErrCode, 0, JSON.stringify(result.Text));
  assert.ok(result.EidInfo && result.EidInfo.EidCode, `EidInfo: ${JSON.stringify(result.EidInfo)}`);

  // An ordinary show (home, then the recent list) runs it, and calls no callback.
  world.home();
  world.open(apps.INTEGRATOR_APPID);
  await world.idle();
  assert.deepEqual(own, [1001, 1089]);
  assert.equal(home.results.length, 1);

  // The finished token again: answered from heshen (TokenStatus 3) before any jump…
  home.goSDK(token);
  await world.idle();
  assert.deepEqual(home.results[1], { token, verifyDone: true });
  // …and by the verifier to seed 000's raw jump.
  const raw = apps.installRawIntegrator(world, {}, { appId: RAW_APPID });
  world.open(RAW_APPID);
  await world.idle();
  raw.top().instance.eid(token);
  await world.idle();
  assert.deepEqual(raw.appDefinition.globalData.returns, [{ token, verifyDone: true }]);
});

test('mp_ecard_sdk: quitting in the verifier, closing it, or declining the consent is verifyDone false', E2E, async () => {
  const { world, verifier, app, home, own } = await eidWorld();
  const quit = await backend.eidToken();
  home.goSDK(quit);
  await world.idle();
  await agreeAndStart(world, app);
  await person.arrive(apps.webViewOf(world, verifier));
  world.pressBack(); // back button on the verifier's web-view page
  await world.idle();

  const closed = await backend.eidToken();
  home.goSDK(closed);
  await world.idle();
  await agreeAndStart(world, app);
  await person.arrive(apps.webViewOf(world, verifier));
  world.closeMiniProgram(); // the capsule's close: WeChat returns without extraData
  await world.idle();

  const declined = await backend.eidToken();
  home.goSDK(declined);
  await world.idle();
  world.pressBack(); // leaves the consent page
  await world.idle();

  assert.deepEqual(home.results, [
    { token: quit, verifyDone: false },
    { token: closed, verifyDone: false },
    { token: declined, verifyDone: false },
  ]);
  assert.equal(app.top().route, HOME);
  assert.deepEqual(own, [1001], 'none of the returns ran the integrator\'s onShow logic');
});

test('mp_ecard_sdk: wrong and expired tokens come back at once with tokenStatus', E2E, async () => {
  const e = backend.env();
  const unknown = crypto.randomUUID().toUpperCase();
  // Without `server`, the verifier answers them (seed 000: back with {token, tokenStatus}).
  {
    const { world, app, home, own } = await eidWorld({ server: false });
    for (const token of ['not-a-token', unknown, e.HESHEN_EXPIRED_TOKEN]) {
      home.goSDK(token);
      await world.idle();
      await agreeAndStart(world, app);
      assert.equal(world.foreground, app, `${token}: back at once`);
    }
    assert.deepEqual(home.results, [
      { token: 'not-a-token', verifyDone: false, tokenStatus: 1 },
      { token: unknown, verifyDone: false, tokenStatus: 1 },
      { token: e.HESHEN_EXPIRED_TOKEN, verifyDone: false, tokenStatus: 2 },
    ]);
    assert.equal(app.top().route, HOME);
    assert.deepEqual(own, [1001]);
  }
  // With `server`, the SDK page asks heshen first and does not jump.
  {
    const { world, app, home } = await eidWorld({ server: true });
    for (const token of [unknown, e.HESHEN_EXPIRED_TOKEN]) {
      home.goSDK(token);
      await world.idle();
      assert.equal(world.foreground, app);
    }
    assert.deepEqual(home.results, [
      { token: unknown, verifyDone: false, tokenStatus: 1 },
      { token: e.HESHEN_EXPIRED_TOKEN, verifyDone: false, tokenStatus: 2 },
    ]);
    assert.equal(app.top().route, HOME);
  }
});

test('verifier, seed 000 without the SDK: tokenStatus 1 / 2 at once; the seed\'s onShow sample reads them', E2E, async () => {
  const e = backend.env();
  const world = new WeChat();
  apps.installVerifier(world, e.HESHEN_URL);
  const raw = apps.installRawIntegrator(world);
  world.open(apps.INTEGRATOR_APPID);
  await world.idle();
  const g = raw.appDefinition.globalData;
  raw.top().instance.eid('not-a-token');
  await world.idle();
  raw.top().instance.eid(e.HESHEN_EXPIRED_TOKEN);
  await world.idle();
  // A usable token, then the person closes the verifier: no extraData at all (seed 000 §4).
  const token = await backend.eidToken();
  raw.top().instance.eid(token);
  await world.idle();
  world.closeMiniProgram();
  await world.idle();
  assert.deepEqual(g.jumps, ['navigateToMiniProgram:ok', 'navigateToMiniProgram:ok', 'navigateToMiniProgram:ok']);
  assert.deepEqual(g.returns, [
    { token: 'not-a-token', tokenStatus: 1 },
    { token: e.HESHEN_EXPIRED_TOKEN, tokenStatus: 2 },
    null,
  ]);
  assert.deepEqual(g.ownShowLogic, [1001]);
});

test('an old base library: mp_ecard_sdk and the verifier refuse with a clear message', E2E, async () => {
  const e = backend.env();
  {
    const { world, app, home } = await eidWorld({ baseLibrary: '2.0.0' });
    const token = await backend.eidToken();
    home.goSDK(token);
    await world.idle();
    assert.equal(app.top().route, HOME);
    assert.equal(home.results.length, 1);
    assert.equal(home.results[0].verifyDone, false);
    assert.match(home.results[0].errMsg, /基础库 2\.0\.0.*onAppShow/);
    assert.match(world.modals.pop().content, /微信版本过低.*升级/);
  }
  {
    // A WeChat whose base library has navigateToMiniProgram but not web-view.
    const world = new WeChat({ baseLibrary: '1.6.0' });
    apps.installVerifier(world, e.HESHEN_URL);
    const raw = apps.installRawIntegrator(world);
    world.open(apps.INTEGRATOR_APPID);
    await world.idle();
    const token = await backend.eidToken();
    raw.top().instance.eid(token);
    await world.idle();
    const modal = world.modals.pop();
    assert.equal(modal.appId, apps.VERIFIER_APPID);
    assert.match(modal.content, /微信版本过低.*基础库 1\.6\.0.*web-view.*升级/);
    assert.deepEqual(raw.appDefinition.globalData.returns, [{ token }], 'back without verifyDone');
  }
});

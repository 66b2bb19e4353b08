'use strict';
// The mini-programs the tests install in the simulated WeChat: heshen's verifier (the
// folder as an operator publishes it, with config.js pointing at the server under test) and
// integrators written the way seeds 000-003 tell an integrator to write them.

const path = require('node:path');
const { WeChat } = require('./wx_simulator');

const SDK = path.resolve(__dirname, '..');
const VERIFIER_APPID = 'wxheshenverifier01';
const INTEGRATOR_APPID = 'wxintegrator00001';

function installVerifier(world, server, extra = {}) {
  return world.install({
    appId: VERIFIER_APPID,
    name: 'verifier',
    root: path.join(SDK, 'verifier'),
    // What the operator edits before publishing (verifier/config.js).
    files: { 'config.js': `module.exports = { server: ${JSON.stringify(server)} };\n` },
    ...extra,
  });
}

const HOME_WXML = '<view>home</view>\n';

// Seed 002: verify_mpsdk copied into the project, Verify.init in onLaunch, wx.startVerify.
function installVerifyIntegrator(world, server, extra = {}) {
  const init = server === undefined ? 'Verify.init();' : `Verify.init({ server: ${JSON.stringify(server)} });`;
  return world.install({
    appId: INTEGRATOR_APPID,
    name: 'integrator (verify_mpsdk)',
    mounts: { verify_mpsdk: path.join(SDK, 'verify_mpsdk') },
    files: {
      'app.json': JSON.stringify({ pages: ['pages/home/home', 'verify_mpsdk/index/index'] }),
      'app.js': `
App({
  globalData: { shows: [], initError: null },
  onLaunch() {
    const Verify = require('/verify_mpsdk/main');
    try {
      ${init}
    } catch (e) {
      this.globalData.initError = e.message;
    }
  },
  onShow(options) {
    this.globalData.shows.push(options);
  },
});
`,
      'pages/home/home.wxml': HOME_WXML,
      'pages/home/home.js': `
Page({
  data: {},
  onLoad() {
    this.successes = [];
    this.failures = [];
  },
  verify(token) {
    wx.startVerify({
      data: { token },
      success: (res) => { this.successes.push(res); },
      fail: (err) => { this.failures.push(err); },
    });
  },
});
`,
    },
    ...extra,
  });
}

// Seed 001: mp_ecard_sdk copied in, `import { initEid }` in app.js, its five pages in
// app.json, and the App onShow exclusion of the verifier's return (scene 1038 + AppId).
function installEidIntegrator(world, { server, verifierAppId = VERIFIER_APPID } = {}, extra = {}) {
  const options = { verifierAppId };
  if (server) options.server = server;
  return world.install({
    appId: INTEGRATOR_APPID,
    name: 'integrator (mp_ecard_sdk)',
    mounts: { mp_ecard_sdk: path.join(SDK, 'mp_ecard_sdk') },
    files: {
      'app.json': JSON.stringify({
        pages: [
          'pages/home/home',
          'mp_ecard_sdk/index/index',
          'mp_ecard_sdk/protocol/service/index',
          'mp_ecard_sdk/protocol/privacy/index',
          'mp_ecard_sdk/protocol/userAccredit/index',
          'mp_ecard_sdk/protocol/eid/index',
        ],
      }),
      'app.js': `
import { initEid } from './mp_ecard_sdk/main';

App({
  globalData: { ownShowLogic: [] },
  onLaunch() {
    initEid(${JSON.stringify(options)});
  },
  onShow(options) {
    const { referrerInfo, scene } = options;
    /* 判断是否从 eID 数字身份小程序返回 */
    const { appId } = referrerInfo;
    if (scene === 1038 && appId === ${JSON.stringify(verifierAppId)}) {
      return;
    } else {
      // 执行接入方小程序原本的逻辑
      this.globalData.ownShowLogic.push(scene);
    }
  },
});
`,
      'pages/home/home.wxml': HOME_WXML,
      'pages/home/home.js': `
import { startEid } from '../../mp_ecard_sdk/main';

Page({
  data: {},
  onLoad() {
    this.results = [];
  },
  goSDK(token) {
    startEid({
      data: { token },
      verifyDoneCallback: (res) => {
        this.results.push(res);
      },
    });
  },
});
`,
    },
    ...extra,
  });
}

// Seeds 000 and 003 without an SDK: wx.navigateToMiniProgram, and App.onShow reading the
// return as seed 000's sample does.
function installRawIntegrator(world, { verifierAppId = VERIFIER_APPID } = {}, extra = {}) {
  return world.install({
    appId: INTEGRATOR_APPID,
    name: 'integrator (raw protocol)',
    files: {
      'app.json': JSON.stringify({ pages: ['pages/home/home'] }),
      'app.js': `
App({
  globalData: { returns: [], jumps: [], ownShowLogic: [] },
  onShow(options) {
    const { referrerInfo, scene } = options;
    /* 判断是否从腾讯云E证通返回 */
    const { appId } = referrerInfo;
    if (scene === 1038 && appId === ${JSON.stringify(verifierAppId)}) {
      const { extraData } = referrerInfo;
      this.globalData.returns.push(extraData === undefined ? null : extraData);
      return;
    }
    this.globalData.ownShowLogic.push(scene);
  },
});
`,
      'pages/home/home.wxml': HOME_WXML,
      'pages/home/home.js': `
Page({
  data: {},
  jump(path, extraData) {
    const app = getApp();
    wx.navigateToMiniProgram({
      appId: ${JSON.stringify(verifierAppId)},
      path,
      extraData,
      envVersion: 'release',
      success(res) { app.globalData.jumps.push(res.errMsg); },
      fail(err) { app.globalData.jumps.push(err.errMsg); },
    });
  },
  eid(token) {
    this.jump('pages/authPage/auth', { token });
  },
  legacy(signature, uid, appid) {
    this.jump('page/component/pages/index/index', { signature, uid, appid });
  },
});
`,
    },
    ...extra,
  });
}

// A WeChat with the integrator opened from the chat list and the verifier installed.
function world(options = {}) {
  return new WeChat(options);
}

function topPage(app) {
  return app.top();
}

// The <web-view> on the mini-program's top page, or an error saying where it is instead.
function webViewOf(world, app) {
  const top = app.top();
  if (top && top.webView) return top.webView;
  const modals = world.modals.map((m) => `${m.appId}: ${m.title}: ${m.content}`).join(' | ');
  throw new Error(
    `no <web-view> is open in ${app.name}: its top page is ${top ? top.route : 'none'}, ` +
      `${app.foreground ? 'in front' : 'in the background'}; modals: ${modals || 'none'}`,
  );
}

module.exports = {
  SDK,
  VERIFIER_APPID,
  INTEGRATOR_APPID,
  installVerifier,
  installVerifyIntegrator,
  installEidIntegrator,
  installRawIntegrator,
  world,
  topPage,
  webViewOf,
};

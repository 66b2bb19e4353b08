// heshen's mp_ecard_sdk: the E证通 mini-program SDK's API (seed 001) on a heshen server.
//
//   import { initEid, startEid } from './mp_ecard_sdk/main';   // or require('./mp_ecard_sdk/main')
//   App({ onLaunch() { initEid({ verifierAppId: 'wx…', server: 'https://heshen.example.com' }); } });
//   startEid({ data: { token: EidToken }, verifyDoneCallback(res) { res.token; res.verifyDone; } });
//
// startEid opens mp_ecard_sdk/index/index (the person agrees to the four protocols), which
// jumps to the verification mini-program (pages/authPage/auth, extraData {token}). That one
// comes back with wx.navigateBackMiniProgram; the wx.onAppShow listener initEid registered
// sees scene 1038 from the verifier's AppId and calls verifyDoneCallback once.
//
// This file uses module.exports only: WeChat's compiler turns `import { initEid } from …`
// into a require() of it, so named imports work as well as require.

// Placeholder: the AppId of the verification mini-program you publish (sdk/miniprogram/verifier).
const DEFAULT_VERIFIER_APPID = 'wx0000000000000000';
const VERIFIER_PATH = 'pages/authPage/auth';
const PAGE = '/mp_ecard_sdk/index/index';
const SCENE_BACK_FROM_MINI_PROGRAM = 1038;

// onAppShow arrived in base library 2.1.2.
const NEEDED = ['onAppShow', 'navigateToMiniProgram', 'navigateTo', 'navigateBack'];

let settings = null;
let pending = null; // {token, callback, jumped, settled}

function baseLibrary() {
  try {
    return wx.getSystemInfoSync().SDKVersion || '';
  } catch (e) {
    return '';
  }
}

function missing() {
  if (typeof wx.canIUse !== 'function') return NEEDED.slice();
  return NEEDED.filter((name) => !wx.canIUse(name));
}

function unsupportedMessage(lacking) {
  const version = baseLibrary();
  return `当前微信版本过低${version ? `（基础库 ${version}）` : ''}，不支持${lacking.join('、')}，无法进行 E 证通核验。请将微信升级到最新版本后重试。`;
}

// The return from the verification mini-program (seed 000: scene 1038, its AppId,
// extraData {token, verifyDone} or {token, tokenStatus}; none when the person closed it).
function onAppShow(options) {
  const opts = options || {};
  const job = pending;
  if (!job || !job.jumped || !settings) return;
  const referrer = opts.referrerInfo || {};
  if (opts.scene !== SCENE_BACK_FROM_MINI_PROGRAM || referrer.appId !== settings.verifierAppId) return;
  const extra = referrer.extraData || {};
  if (extra.token !== undefined && extra.token !== job.token) return; // not this verification's return
  const res = { token: job.token, verifyDone: extra.verifyDone === true };
  if (extra.tokenStatus !== undefined) res.tokenStatus = extra.tokenStatus;
  finish(job, res);
}

function initEid(options) {
  const opts = options || {};
  const server = typeof opts.server === 'string' ? opts.server.replace(/\/+$/, '') : '';
  if (server && !/^https?:\/\/[^/]+/.test(server)) {
    throw new Error("mp_ecard_sdk: initEid({ server }) takes heshen's base URL, e.g. https://heshen.example.com");
  }
  settings = {
    server,
    verifierAppId: opts.verifierAppId || DEFAULT_VERIFIER_APPID,
    envVersion: opts.envVersion || 'release',
    unsupported: null,
  };
  const lacking = missing();
  if (lacking.length > 0) {
    settings.unsupported = unsupportedMessage(lacking);
    return settings;
  }
  if (typeof wx.offAppShow === 'function') wx.offAppShow(onAppShow);
  wx.onAppShow(onAppShow);
  return settings;
}

function startEid(options) {
  const opts = options || {};
  const callback = opts.verifyDoneCallback;
  if (typeof callback !== 'function') {
    throw new Error('mp_ecard_sdk: startEid({ data: { token }, verifyDoneCallback(res) {} }) needs verifyDoneCallback');
  }
  if (!settings) throw new Error('mp_ecard_sdk: call initEid() in App.onLaunch before startEid()');
  const data = opts.data || {};
  const token = typeof data.token === 'string' ? data.token : '';
  if (settings.unsupported) {
    const errMsg = settings.unsupported;
    wx.showModal({ title: '微信版本过低', content: errMsg, showCancel: false });
    callback({ token, verifyDone: false, errMsg });
    return;
  }
  if (!token) {
    callback({ token, verifyDone: false, tokenStatus: 1, errMsg: '缺少 data.token：请传入业务后台调用 GetEidToken 得到的 EidToken。' });
    return;
  }
  if (pending && !pending.settled) {
    callback({ token, verifyDone: false, errMsg: '已有一个核验在进行中，请等它结束后再发起。' });
    return;
  }
  pending = { token, callback, jumped: false, settled: false };
  const job = pending;
  wx.navigateTo({
    url: `${PAGE}?token=${encodeURIComponent(token)}`,
    fail(err) {
      finish(job, {
        token,
        verifyDone: false,
        errMsg: `无法打开 mp_ecard_sdk/index/index，请确认 app.json 的 pages 列有 mp_ecard_sdk 的页面。（${(err && err.errMsg) || ''}）`,
      });
    },
  });
}

// Calls the callback once; closes the SDK's page first when it is on top.
function finish(job, res) {
  if (!job || job.settled) return;
  job.settled = true;
  if (pending === job) pending = null;
  const pages = typeof getCurrentPages === 'function' ? getCurrentPages() : [];
  const top = pages[pages.length - 1];
  if (top && top.route === PAGE.slice(1) && pages.length > 1 && !job.pageGone) {
    wx.navigateBack({
      delta: 1,
      complete() {
        job.callback(res);
      },
    });
  } else {
    job.callback(res);
  }
}

// For index/index.
function current(token) {
  return pending && !pending.settled && pending.token === token ? pending : null;
}

function jump(job, on) {
  job.jumped = true;
  wx.navigateToMiniProgram({
    appId: settings.verifierAppId,
    path: VERIFIER_PATH,
    extraData: { token: job.token },
    envVersion: settings.envVersion,
    success() {
      if (on && on.success) on.success();
    },
    fail(err) {
      job.jumped = false;
      if (on && on.fail) on.fail(err);
    },
  });
}

function config() {
  return settings;
}

module.exports = {
  initEid,
  startEid,
  DEFAULT_VERIFIER_APPID,
  // used by index/index
  current,
  finish,
  jump,
  config,
};

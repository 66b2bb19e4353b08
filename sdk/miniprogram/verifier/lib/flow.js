// What the verifier's pages share: the server contract of docs/miniprogram.md (token status,
// the /mp/v1/return page, the legacy auth call) and the way back to the calling mini-program.
const config = require('../config');

const RETURN_PATH = '/mp/v1/return';

// TokenStatus of GET /mp/v1/tokens/{token} (1 and 2 are seed 000's tokenStatus).
const USABLE = 0;
const WRONG = 1;
const EXPIRED = 2;
const FINISHED = 3;

// What the verifier cannot work without (base library 1.6.4 brought web-view, with its
// bindload: asking for the component is enough, and every WeChat understands that question).
const NEEDED = ['navigateBackMiniProgram', 'request', 'web-view'];

// Seed 003 has no code for "the service could not be reached"; its 601 ("调用引擎接口出错")
// is the nearest, so a legacy caller gets that rather than nothing.
const LEGACY_UNREACHABLE = '601';

function server() {
  const base = String(config.server || '').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/.test(base)) {
    throw new Error('verifier/config.js: set `server` to the heshen base URL, e.g. https://heshen.example.com');
  }
  return base;
}

function decode(value) {
  if (typeof value !== 'string') return value;
  try {
    return decodeURIComponent(value);
  } catch (e) {
    return value;
  }
}

// The query of a URL, decoded (mini-programs have no URL class).
function queryOf(url) {
  const out = {};
  const text = String(url || '');
  const start = text.indexOf('?');
  if (start < 0) return out;
  const end = text.indexOf('#', start);
  const query = text.slice(start + 1, end < 0 ? undefined : end);
  query.split('&').forEach((pair) => {
    if (!pair) return;
    const i = pair.indexOf('=');
    const key = decode((i < 0 ? pair : pair.slice(0, i)).replace(/\+/g, ' '));
    out[key] = i < 0 ? '' : decode(pair.slice(i + 1).replace(/\+/g, ' '));
  });
  return out;
}

function pathOf(url) {
  const text = String(url || '').replace(/^[a-zA-Z][\w+.-]*:\/\/[^/?#]*/, '');
  return text.split(/[?#]/)[0];
}

// The page the H5 flow ends at in a web-view (the server may sit under a path prefix).
function isReturn(url) {
  return pathOf(url).endsWith(RETURN_PATH);
}

function absolute(url) {
  const text = String(url || '');
  if (/^https?:\/\//.test(text)) return text;
  return server() + (text.charAt(0) === '/' ? text : `/${text}`);
}

// This entry's parameters: the page query, else the extraData the caller sent
// (App.onShow's referrerInfo.extraData, which navigateToMiniProgram delivers).
function entry(query) {
  const app = getApp();
  const enter = (app && app.globalData.enter) || {};
  const extra = (enter.referrerInfo && enter.referrerInfo.extraData) || {};
  const out = {};
  Object.keys(extra).forEach((k) => {
    out[k] = extra[k];
  });
  Object.keys(query || {}).forEach((k) => {
    out[k] = decode(query[k]);
  });
  return out;
}

function session() {
  return getApp().globalData.session;
}

function modal(title, content, then) {
  wx.showModal({
    title,
    content,
    showCancel: false,
    confirmText: '知道了',
    complete() {
      if (then) then();
    },
  });
}

// Back to the mini-program that opened this one, with extraData.
function back(extraData) {
  if (typeof wx.navigateBackMiniProgram !== 'function') return;
  wx.navigateBackMiniProgram({
    extraData,
    fail(err) {
      modal('无法返回', `请点击右上角关闭按钮返回原小程序。（${(err && err.errMsg) || ''}）`);
    },
  });
}

function missing() {
  if (typeof wx.canIUse !== 'function') return NEEDED.slice();
  return NEEDED.filter((name) => !wx.canIUse(name));
}

// False (after telling the person, and going back with `extraData` when that is possible)
// when this WeChat is too old for the verification.
function supported(extraData) {
  const lacking = missing();
  if (lacking.length === 0) return true;
  let version = '';
  try {
    version = wx.getSystemInfoSync().SDKVersion;
  } catch (e) {
    version = '';
  }
  modal(
    '微信版本过低',
    `当前微信版本过低${version ? `（基础库 ${version}）` : ''}，不支持${lacking.join('、')}，无法完成身份核验。请将微信升级到最新版本后重试。`,
    () => back(extraData),
  );
  return false;
}

// GET /mp/v1/tokens/{token} → on.status(TokenStatus, body) or on.error(message).
function tokenStatus(token, on) {
  wx.request({
    url: `${server()}/mp/v1/tokens/${encodeURIComponent(token)}`,
    method: 'GET',
    dataType: 'json',
    success(res) {
      const body = res.data;
      if (res.statusCode === 200 && body && typeof body.TokenStatus === 'number') {
        on.status(body.TokenStatus, body);
      } else {
        const why = body && body.Error && body.Error.Message;
        on.error(`核验服务暂不可用（HTTP ${res.statusCode}${why ? `：${why}` : ''}），请稍后重试。`);
      }
    },
    fail(err) {
      on.error(`网络异常，无法连接核验服务，请检查网络后重试。（${(err && err.errMsg) || ''}）`);
    },
  });
}

// Serves the entry of pages/authPage/auth: {token} from seed 000 / mp_ecard_sdk.
function serveToken(page, token) {
  if (!supported({ token })) return;
  if (!token) {
    page.setData({ title: '核验凭证有误', message: '没有收到核验凭证。' });
    back({ token: '', tokenStatus: WRONG });
    return;
  }
  const on = {
    status(status, body) {
      if (status === WRONG || status === EXPIRED) {
        page.setData({ title: status === WRONG ? '核验凭证有误' : '核验凭证已过期', message: '' });
        back({ token, tokenStatus: status });
      } else if (status === FINISHED) {
        back({ token, verifyDone: true });
      } else if (status === USABLE && body.Url) {
        openWebView({ kind: body.Kind || 'detect', token, url: absolute(body.Url) });
      } else {
        on.error(`核验服务的回答无法识别（TokenStatus ${status}）。`);
      }
    },
    error(message) {
      page.setData({ title: '无法开始核验', message });
      modal('无法开始核验', message, () => back({ token }));
    },
  };
  tokenStatus(token, on);
}

// Serves the legacy entry (seed 003): {signature, uid, appid} → POST /mp/v1/legacy/auth.
function serveLegacy(page, params) {
  if (!supported({})) return;
  const unreachable = (message) => {
    page.setData({ title: '无法开始核验', message });
    modal('无法开始核验', message, () => back({ errCode: LEGACY_UNREACHABLE }));
  };
  wx.request({
    url: `${server()}/mp/v1/legacy/auth`,
    method: 'POST',
    header: { 'content-type': 'application/json' },
    data: { signature: params.signature || '', uid: params.uid || '', appid: params.appid || '' },
    dataType: 'json',
    success(res) {
      const body = res.data;
      if (!body || typeof body !== 'object' || body.errorcode === undefined) {
        unreachable(`核验服务暂不可用（HTTP ${res.statusCode}），请稍后重试。`);
        return;
      }
      const data = body.data || {};
      if (Number(body.errorcode) === 0 && data.token && data.Url) {
        openWebView({ kind: 'legacy', token: data.token, url: absolute(data.Url) });
        return;
      }
      page.setData({ title: '无法开始核验', message: String(body.errormsg || '') });
      back({ errCode: String(body.errorcode) });
    },
    fail(err) {
      unreachable(`网络异常，无法连接核验服务，请检查网络后重试。（${(err && err.errMsg) || ''}）`);
    },
  });
}

function openWebView(current) {
  const app = getApp();
  app.globalData.current = {
    kind: current.kind,
    token: current.token,
    url: current.url,
    session: app.globalData.session,
  };
  wx.navigateTo({
    url: '/pages/webview/webview',
    fail(err) {
      modal('无法开始核验', `核验页面打不开。（${(err && err.errMsg) || ''}）`, () => back(left(current)));
    },
  });
}

// extraData when the web-view reached /mp/v1/return (its query: verifyDone, errCode).
function returned(current, query) {
  if (current.kind === 'legacy') {
    const out = { token: current.token };
    if (query.errCode !== undefined) out.errCode = String(query.errCode);
    return out;
  }
  if (query.verifyDone === '1') return { token: current.token, verifyDone: true };
  return { token: current.token };
}

// extraData when the person left before the end: no verifyDone (seed 000).
function left(current) {
  return { token: current.token };
}

module.exports = {
  USABLE,
  WRONG,
  EXPIRED,
  FINISHED,
  NEEDED,
  LEGACY_UNREACHABLE,
  server,
  decode,
  queryOf,
  pathOf,
  isReturn,
  entry,
  session,
  modal,
  back,
  supported,
  serveToken,
  serveLegacy,
  returned,
  left,
};

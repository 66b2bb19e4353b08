// heshen's verify_mpsdk: the FaceID mini-program SDK's API (seed 002) on a heshen server.
//
//   const Verify = require('/verify_mpsdk/main');
//   Verify.init({ server: 'https://heshen.example.com' });
//   wx.startVerify({ data: { token: BizToken }, success(res) {}, fail(err) {} });
//
// startVerify opens verify_mpsdk/index/index, which hosts heshen's H5 flow in a <web-view>
// and calls success or fail when it ends. See README.md for the error codes.

const ErrorCode = {
  // data.token missing or not a string, or startVerify called without options.
  INVALID_PARAMETER: 10001,
  // heshen does not know the token (TokenStatus 1: malformed, unknown or erased).
  TOKEN_WRONG: 10002,
  // The token's time to verify is over (TokenStatus 2).
  TOKEN_EXPIRED: 10003,
  // The person left the verification before it ended.
  USER_QUIT: 10004,
  // heshen could not be reached, or answered something else than docs/miniprogram.md says.
  NETWORK_ERROR: 10005,
  // This WeChat's base library lacks what the SDK needs (web-view, bindload…).
  UNSUPPORTED: 10006,
  // A verification is already running (startVerify called again before it ended).
  BUSY: 10007,
  // verify_mpsdk/index/index could not be opened (not listed in app.json "pages"?).
  PAGE_NOT_FOUND: 10008,
  // The web-view could not load heshen's pages (business domain not configured?).
  PAGE_LOAD_FAILED: 10009,
};

// base library 1.6.4 brought web-view (with its bindload).
const NEEDED = ['web-view', 'request', 'navigateTo', 'navigateBack'];
const PAGE = '/verify_mpsdk/index/index';

let settings = null;
let running = null; // {token, success, fail, complete}

function init(options) {
  const opts = options || {};
  const server = typeof opts.server === 'string' ? opts.server.replace(/\/+$/, '') : '';
  if (!/^https?:\/\/[^/]+/.test(server)) {
    throw new Error(
      'verify_mpsdk: Verify.init({ server }) needs `server`, the base URL of your heshen service, e.g. ' +
        "Verify.init({ server: 'https://heshen.example.com' })",
    );
  }
  settings = { server };
  wx.startVerify = startVerify;
  return settings;
}

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

function error(code, message, token) {
  const err = { ErrorCode: code, ErrorMsg: message };
  if (token !== undefined) err.token = token;
  return err;
}

function call(fn, arg) {
  if (typeof fn === 'function') fn(arg);
}

function startVerify(options) {
  const opts = options || {};
  const fail = (err) => {
    call(opts.fail, err);
    call(opts.complete, err);
  };
  const lacking = missing();
  if (lacking.length > 0) {
    const version = baseLibrary();
    fail(
      error(
        ErrorCode.UNSUPPORTED,
        `当前微信版本过低${version ? `（基础库 ${version}）` : ''}，不支持${lacking.join('、')}，无法进行人脸核身。请将微信升级到最新版本后重试。`,
      ),
    );
    return;
  }
  const data = opts.data || {};
  if (typeof data.token !== 'string' || data.token === '') {
    fail(error(ErrorCode.INVALID_PARAMETER, '缺少 data.token：请传入业务后台调用 DetectAuth 得到的 BizToken。'));
    return;
  }
  if (running) {
    fail(error(ErrorCode.BUSY, '已有一个核身流程在进行中，请等它结束后再发起。', data.token));
    return;
  }
  running = { token: data.token, success: opts.success, fail: opts.fail, complete: opts.complete, page: false };
  wx.navigateTo({
    url: `${PAGE}?token=${encodeURIComponent(data.token)}`,
    fail(err) {
      running = null;
      fail(
        error(
          ErrorCode.PAGE_NOT_FOUND,
          `无法打开核身页面 verify_mpsdk/index/index，请确认它已列在 app.json 的 pages 中。（${(err && err.errMsg) || ''}）`,
          data.token,
        ),
      );
    },
  });
}

// For verify_mpsdk/index/index: the verification it serves (null when opened otherwise).
function claim(token) {
  if (!running || running.token !== token || running.page) return null;
  running.page = true;
  return running;
}

// Ends the verification `job` once: success(res) or fail(err), then complete.
function settle(job, ok, result) {
  if (!job || job.settled) return;
  job.settled = true;
  if (running === job) running = null;
  call(ok ? job.success : job.fail, result);
  call(job.complete, result);
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
  text
    .slice(start + 1, end < 0 ? undefined : end)
    .split('&')
    .forEach((pair) => {
      if (!pair) return;
      const i = pair.indexOf('=');
      const key = decode((i < 0 ? pair : pair.slice(0, i)).replace(/\+/g, ' '));
      out[key] = i < 0 ? '' : decode(pair.slice(i + 1).replace(/\+/g, ' '));
    });
  return out;
}

// Whether the web-view reached the page heshen's flow ends at (docs/miniprogram.md).
function isReturn(url) {
  const path = String(url || '')
    .replace(/^[a-zA-Z][\w+.-]*:\/\/[^/?#]*/, '')
    .split(/[?#]/)[0];
  return path.endsWith('/mp/v1/return');
}

function absolute(url) {
  const text = String(url || '');
  if (/^https?:\/\//.test(text)) return text;
  return server() + (text.charAt(0) === '/' ? text : `/${text}`);
}

function server() {
  if (!settings) throw new Error('verify_mpsdk: call Verify.init({ server }) first');
  return settings.server;
}

module.exports = {
  init,
  ErrorCode,
  // used by index/index
  claim,
  settle,
  server,
  error,
  decode,
  queryOf,
  isReturn,
  absolute,
};

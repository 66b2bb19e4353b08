'use strict';
// Unit tests of the JavaScript in sdk/miniprogram/: the wx simulator itself, and the three
// mini-program parts (verifier, verify_mpsdk, mp_ecard_sdk) driven through it against a tiny
// HTTP server made here with node:http. That server only answers the shapes of
// docs/miniprogram.md and the H5 routes so that the JS can be exercised; it is not a stand-in
// for heshen. The end-to-end suites (*.e2e.test.js) run the same code against a real heshen.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const { WeChat, compileModule, compareVersions } = require('./wx_simulator');
const apps = require('./apps');
const person = require('./person');

// ---------------------------------------------------------------- the small HTTP server

function fakeServer() {
  const seen = [];
  const tokens = new Map([
    ['good-1', 0],
    ['good-2', 0],
    ['good-3', 0],
    ['good-4', 0],
    ['good-5', 0],
    ['good-6', 0],
    ['good-7', 0],
    ['good-8', 0],
    ['wrong', 1],
    ['expired', 2],
    ['done', 3],
  ]);
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url, 'http://x');
      seen.push({ method: req.method, path: url.pathname, search: url.search, headers: req.headers, body });
      const base = `http://${req.headers.host}`;
      const json = (status, value) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      const html = (status, text) => {
        res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end(`<!doctype html><html><body>${text}</body></html>`);
      };
      const go = (to) => {
        res.writeHead(303, { Location: to });
        res.end();
      };
      if (req.method === 'POST' && req.headers.origin && req.headers.origin !== base) {
        return html(403, 'cross-site');
      }
      let m;
      if ((m = /^\/mp\/v1\/tokens\/([^/]+)$/.exec(url.pathname))) {
        const token = decodeURIComponent(m[1]);
        if (token === 'down') return json(503, { Error: { Code: 'InternalError', Message: 'down' } });
        const status = tokens.has(token) ? tokens.get(token) : 1;
        if (status === 0) {
          return json(200, { TokenStatus: 0, Kind: 'detect', Url: `${base}/h5/start?token=${token}&mp=1` });
        }
        return json(200, status === 1 ? { TokenStatus: 1 } : { TokenStatus: status, Kind: 'detect' });
      }
      if (url.pathname === '/mp/v1/legacy/auth' && req.method === 'POST') {
        const p = JSON.parse(body.toString() || '{}');
        if (p.signature !== 'good-signature') return json(200, { errorcode: -4, errormsg: 'signature mismatch' });
        tokens.set('legacy-1', 0);
        return json(200, { errorcode: 0, errormsg: 'success', data: { token: 'legacy-1', Url: `/h5/start?token=legacy-1&mp=1` } });
      }
      if (url.pathname === '/mp/v1/return') return html(200, '<section data-testid="mp-return"></section>');
      if (url.pathname === '/h5/start') {
        res.setHeader('Set-Cookie', 'heshen_lang=zh; Path=/h5');
        return go(`/h5/${url.searchParams.get('token')}/consent`);
      }
      if ((m = /^\/h5\/([^/]+)\/(\w+)(?:\/(\w+))?$/.exec(url.pathname))) {
        const [, token, step, nonce] = m;
        if (step === 'consent' && req.method === 'POST') {
          return new URLSearchParams(body.toString()).get('agree') === 'yes' ? go(`/h5/${token}/liveness`) : html(422, 'tick');
        }
        if (step === 'consent') return html(200, '<form data-testid="consent"></form>');
        if (step === 'liveness' && nonce && req.method === 'POST') {
          return req.headers['content-type'] === 'video/mp4' && body.length > 0
            ? json(202, { next: `/h5/${token}/processing` })
            : json(415, { error: { code: 'x' } });
        }
        if (step === 'liveness') return html(200, `<div data-upload="/h5/${token}/liveness/n0nce"></div>`);
        if (step === 'status') return json(200, { state: 'finished', code: 0 });
        if (step === 'result') return html(200, '<section data-testid="result" data-code="0"></section>');
        if (step === 'continue') {
          const legacy = token.startsWith('legacy') ? '&errCode=0' : '';
          return go(`/mp/v1/return?token=${token}&verifyDone=1${legacy}`);
        }
        if (step === 'leave') {
          return html(200, `<a data-testid="left-continue" href="/mp/v1/return?token=${token}&#38;x=1">back</a>`);
        }
      }
      if (url.pathname === '/echo') return json(200, { method: req.method, search: url.search, headers: req.headers, body: body.toString() });
      if (url.pathname === '/text') return html(200, 'plain');
      if (url.pathname === '/redirect') return go('/landed?via=redirect');
      if (url.pathname === '/landed') return html(200, 'landed');
      return html(404, 'not found');
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const url = `http://127.0.0.1:${server.address().port}`;
      resolve({ url, seen, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

let fake;
test.before(async () => {
  fake = await fakeServer();
});
test.after(async () => {
  await fake.close();
});

const video = path.join(os.tmpdir(), `heshen-mp-unit-${process.pid}.mp4`);
fs.writeFileSync(video, Buffer.from('not really an mp4, the fake server only counts bytes'));
process.on('exit', () => fs.rmSync(video, { force: true }));

// A tiny two-app world for the simulator's own tests.
function toyWorld(options) {
  const world = new WeChat(options);
  const log = [];
  const page = (name) => `
Page({
  data: { n: 0, src: '' },
  onLoad(q) { getApp().log.push('${name}:onLoad:' + JSON.stringify(q)); },
  onShow() { getApp().log.push('${name}:onShow'); },
  onReady() { getApp().log.push('${name}:onReady'); },
  onHide() { getApp().log.push('${name}:onHide'); },
  onUnload() { getApp().log.push('${name}:onUnload'); },
  onWebLoad(e) { getApp().loads.push(e.detail.src); },
  onWebMessage(e) { getApp().messages.push(e.detail.data); },
  onWebError(e) { getApp().webErrors.push(e.detail); },
});`;
  const app = (appId) => ({
    appId,
    files: {
      'app.json': JSON.stringify({ pages: ['pages/a/a', 'pages/b/b', 'pages/web/web'] }),
      'app.js': `
App({
  log: [], shows: [], loads: [], messages: [], webErrors: [], listened: [],
  onLaunch(o) { this.log.push('App:onLaunch:' + o.scene); wx.onAppShow((x) => this.listened.push(x)); },
  onShow(o) { this.log.push('App:onShow:' + o.scene); this.shows.push(o); },
  onHide() { this.log.push('App:onHide'); },
});`,
      'pages/a/a.js': page('a'),
      'pages/a/a.wxml': '<view>a</view>',
      'pages/b/b.js': page('b'),
      'pages/b/b.wxml': '<view>b</view>',
      'pages/web/web.js': page('web'),
      'pages/web/web.wxml':
        '<web-view wx:if="{{src}}" src="{{src}}" bindload="onWebLoad" bindmessage="onWebMessage" binderror="onWebError"></web-view>',
    },
  });
  const one = world.install(app('wxone'));
  const two = world.install(app('wxtwo'));
  return { world, one, two, log };
}

// ---------------------------------------------------------------- the simulator

test('simulator: page stack and lifecycle order', async () => {
  const { world, one } = toyWorld();
  world.open('wxone');
  await world.idle();
  const app = one.appDefinition;
  assert.deepEqual(app.log, ['App:onLaunch:1001', 'App:onShow:1001', 'a:onLoad:{}', 'a:onShow', 'a:onReady']);
  app.log.length = 0;
  one.wx.navigateTo({ url: '/pages/b/b?x=1&y=a%20b' });
  await world.idle();
  assert.deepEqual(app.log, ['a:onHide', 'b:onLoad:{"x":"1","y":"a%20b"}', 'b:onShow', 'b:onReady']);
  assert.equal(one.stack.length, 2);
  app.log.length = 0;
  one.wx.redirectTo({ url: '../a/a' });
  await world.idle();
  assert.deepEqual(app.log, ['b:onUnload', 'a:onLoad:{}', 'a:onShow', 'a:onReady']);
  app.log.length = 0;
  one.wx.navigateBack({});
  await world.idle();
  assert.deepEqual(app.log, ['a:onUnload', 'a:onShow']);
  let failed;
  one.wx.navigateBack({ fail: (e) => { failed = e.errMsg; } });
  one.wx.navigateTo({ url: '/pages/nope/nope', fail: (e) => { failed += ` | ${e.errMsg}`; } });
  await world.idle();
  assert.match(failed, /cannot navigate back at first page.*\| navigateTo:fail page "pages\/nope\/nope" is not found/);
  for (let i = 0; i < 9; i += 1) one.wx.navigateTo({ url: '/pages/b/b' });
  await world.idle();
  one.wx.navigateTo({ url: '/pages/b/b', fail: (e) => { failed = e.errMsg; } });
  await world.idle();
  assert.equal(one.stack.length, 10);
  assert.match(failed, /limit exceed/);
  one.wx.reLaunch({ url: '/pages/a/a' });
  await world.idle();
  assert.equal(one.stack.length, 1);
});

test('simulator: jumps between mini-programs, scenes 1037 / 1038, closing, ordinary shows', async () => {
  const { world, one, two } = toyWorld();
  world.open('wxone');
  await world.idle();
  let jumped;
  one.wx.navigateToMiniProgram({ appId: 'wxtwo', path: 'pages/b/b?k=v', extraData: { token: 't1', fn() {} }, success: (r) => { jumped = r.errMsg; } });
  await world.idle();
  assert.equal(jumped, 'navigateToMiniProgram:ok');
  assert.equal(world.foreground, two);
  const t = two.appDefinition;
  assert.deepEqual(t.log.slice(0, 2), ['App:onLaunch:1037', 'App:onShow:1037']);
  assert.deepEqual(t.shows[0].referrerInfo, { appId: 'wxone', extraData: { token: 't1' } }, 'functions do not cross');
  assert.equal(t.shows[0].path, 'pages/b/b');
  assert.deepEqual(t.listened[0].referrerInfo.extraData, { token: 't1' });
  assert.equal(two.top().route, 'pages/b/b');
  assert.deepEqual(two.top().query, { k: 'v' });
  assert.equal(two.wx.getLaunchOptionsSync().scene, 1037);
  assert.ok(one.appDefinition.log.includes('App:onHide'));

  two.wx.navigateBackMiniProgram({ extraData: { token: 't1', verifyDone: true } });
  await world.idle();
  const o = one.appDefinition;
  assert.equal(world.foreground, one);
  const back = o.shows[o.shows.length - 1];
  assert.equal(back.scene, 1038);
  assert.deepEqual(back.referrerInfo, { appId: 'wxtwo', extraData: { token: 't1', verifyDone: true } });
  assert.deepEqual(o.listened[o.listened.length - 1].referrerInfo, back.referrerInfo, 'wx.onAppShow gets the same');
  assert.equal(two.foreground, false);
  assert.equal(two.stack.length, 1, 'going back hides the target; its pages stay');

  // Opened again while in the background: it shows, then relaunches to the path.
  one.wx.navigateToMiniProgram({ appId: 'wxtwo', path: 'pages/a/a', extraData: { token: 't2' } });
  await world.idle();
  assert.equal(t.log.filter((l) => l === 'App:onLaunch:1037').length, 1);
  assert.ok(t.log.includes('b:onUnload'));
  assert.equal(two.top().route, 'pages/a/a');
  // The person closes it: back to the caller, scene 1038, no extraData.
  world.closeMiniProgram();
  await world.idle();
  assert.deepEqual(o.shows[o.shows.length - 1].referrerInfo, { appId: 'wxtwo' });
  // Back on the first page of a mini-program another one opened: the same.
  one.wx.navigateToMiniProgram({ appId: 'wxtwo', path: 'pages/a/a' });
  await world.idle();
  world.pressBack();
  await world.idle();
  assert.equal(o.shows[o.shows.length - 1].scene, 1038);
  assert.equal(o.shows[o.shows.length - 1].referrerInfo.extraData, undefined);
  // An ordinary show: home, then back from the recent list.
  world.home();
  world.open('wxone');
  await world.idle();
  assert.equal(o.shows[o.shows.length - 1].scene, 1089);
  assert.deepEqual(o.shows[o.shows.length - 1].referrerInfo, {});
  // navigateBackMiniProgram from an app nobody opened fails.
  let err;
  one.wx.navigateBackMiniProgram({ fail: (e) => { err = e.errMsg; } });
  one.wx.navigateToMiniProgram({ appId: 'wxnobody', fail: (e) => { err += ` | ${e.errMsg}`; } });
  await world.idle();
  assert.match(err, /navigateBackMiniProgram:fail.*\| navigateToMiniProgram:fail invalid appid/);
});

test('simulator: the person can decline the jump', async () => {
  const { world, one } = toyWorld({ confirmJump: () => false });
  world.open('wxone');
  let err;
  one.wx.navigateToMiniProgram({ appId: 'wxtwo', fail: (e) => { err = e.errMsg; } });
  await world.idle();
  assert.equal(err, 'navigateToMiniProgram:fail cancel');
  assert.equal(world.foreground, one);
});

test('simulator: canIUse and the APIs a base library has', () => {
  assert.equal(compareVersions('2.10.0', '2.9.4'), 1);
  assert.equal(compareVersions('1.6.4', '1.6.4'), 0);
  const old = new WeChat({ baseLibrary: '1.5.0' });
  assert.equal(old.canIUse('web-view'), false);
  assert.equal(old.canIUse('navigateToMiniProgram'), true);
  assert.equal(old.canIUse('onAppShow'), false);
  assert.equal(old.canIUse('no-such-thing'), false);
  const app = old.install({ appId: 'wxold', files: {} });
  assert.equal(typeof app.wx.navigateToMiniProgram, 'function');
  assert.equal(app.wx.onAppShow, undefined, 'an API newer than the base library is absent');
  assert.equal(new WeChat({ baseLibrary: '2.30.0' }).canIUse('web-view.bindload'), true);
});

test('simulator: ES imports compile to require; export is refused', () => {
  const code = compileModule("import { a, b as c } from './m';\nimport d from '/x';\nimport * as e from 'y';\n", 'f.js');
  assert.match(code, /const \{ a, b: c \} = require\("\.\/m"\);/);
  assert.match(code, /const e = require\("y"\);/);
  assert.throws(() => compileModule('export const x = 1;', 'g.js'), /export/);
});

test('simulator: wx.request and wx.uploadFile over real HTTP with WeChat shapes', async () => {
  const world = new WeChat();
  const app = world.install({ appId: 'wxreq', files: {}, domains: { request: [fake.url.replace('http://', '')] } });
  const results = [];
  app.wx.request({ url: `${fake.url}/echo`, data: { a: 1, b: 'x y' }, success: (r) => results.push(['get', r]) });
  app.wx.request({ url: `${fake.url}/echo`, method: 'POST', data: { k: 'v' }, success: (r) => results.push(['post', r]) });
  app.wx.request({
    url: `${fake.url}/echo`,
    method: 'POST',
    header: { 'content-type': 'application/x-www-form-urlencoded' },
    data: { k: 'v w' },
    success: (r) => results.push(['form', r]),
  });
  app.wx.request({ url: `${fake.url}/text`, success: (r) => results.push(['text', r]) });
  app.wx.request({ url: 'http://127.0.0.1:1/none', fail: (e) => results.push(['refused', e]) });
  app.wx.request({ url: 'http://other.example/x', fail: (e) => results.push(['domain', e]) });
  await world.idle();
  const by = Object.fromEntries(results);
  assert.equal(by.get.statusCode, 200);
  assert.equal(by.get.errMsg, 'request:ok');
  assert.equal(by.get.data.search, '?a=1&b=x%20y');
  assert.equal(by.get.data.headers.referer, 'https://servicewechat.com/wxreq/devtools/page-frame.html');
  assert.equal(by.post.data.body, '{"k":"v"}');
  assert.equal(by.post.data.headers['content-type'], 'application/json');
  assert.equal(by.form.data.body, 'k=v%20w');
  assert.equal(typeof by.text.data, 'string');
  assert.equal(typeof by.get.header, 'object');
  assert.match(by.refused.errMsg, /^request:fail /);
  assert.match(by.domain.errMsg, /not in domain list/);

  const file = path.join(os.tmpdir(), `heshen-up-${process.pid}.bin`);
  fs.writeFileSync(file, 'BYTES');
  let up;
  app.wx.uploadFile({ url: `${fake.url}/echo`, filePath: file, name: 'video', formData: { a: 'b' }, success: (r) => { up = r; } });
  await world.idle();
  fs.rmSync(file);
  assert.equal(up.statusCode, 200);
  assert.equal(typeof up.data, 'string', 'uploadFile hands over text');
  const echoed = JSON.parse(up.data);
  assert.match(echoed.headers['content-type'], /^multipart\/form-data; boundary=/);
  assert.match(echoed.body, /name="video"[\s\S]*BYTES/);
});

test('simulator: a web-view loads over HTTP, fires bindload on each landing, bindmessage on destroy', async () => {
  const { world, one } = toyWorld();
  world.open('wxone');
  one.wx.navigateTo({ url: '/pages/web/web' });
  await world.idle();
  const page = one.top();
  assert.equal(page.webView, null, 'no src, no web-view');
  page.instance.setData({ src: `${fake.url}/redirect` });
  const view = page.webView;
  await view.loading;
  await world.idle();
  const app = one.appDefinition;
  assert.deepEqual(app.loads, [`${fake.url}/landed?via=redirect`], 'one load, after the redirect');
  assert.match(view.userAgent, /miniProgram/);
  await view.navigate('/h5/good-1/consent');
  await view.submit('/h5/good-1/consent', { agree: 'yes' });
  assert.equal(view.url, `${fake.url}/h5/good-1/liveness`);
  const post = fake.seen.filter((s) => s.method === 'POST').pop();
  assert.equal(post.headers.origin, fake.url, 'a form post carries its own origin');
  const res = await view.fetch('/echo');
  assert.equal(res.status, 200);
  assert.equal(app.loads.length, 3, 'fetch is not a navigation');
  view.postMessage({ hello: 1 });
  view.postMessage({ hello: 2 });
  assert.deepEqual(app.messages, [], 'not delivered while the web-view lives');
  one.wx.navigateBack({});
  await world.idle();
  assert.deepEqual(app.messages, [[{ hello: 1 }, { hello: 2 }]]);
  await assert.rejects(view.navigate('/landed'), /the web-view is gone/);
});

test('simulator: web-view outside the business domains fires binderror', async () => {
  const { one } = toyWorld();
  one.domains.business = ['heshen.example.com'];
  one.world.open('wxone');
  one.wx.navigateTo({ url: '/pages/web/web' });
  await one.world.idle();
  one.top().instance.setData({ src: `${fake.url}/landed` });
  await one.world.idle();
  assert.equal(one.appDefinition.webErrors.length, 1);
  assert.deepEqual(one.appDefinition.loads, []);
});

// ---------------------------------------------------------------- verify_mpsdk

async function verifyWorld(options = {}) {
  const world = new WeChat(options);
  const app = apps.installVerifyIntegrator(world, 'server' in options ? options.server : fake.url);
  world.open(apps.INTEGRATOR_APPID);
  await world.idle();
  return { world, app, home: app.top().instance };
}

test('verify_mpsdk: init without server is a clear error', async () => {
  const { app } = await verifyWorld({ server: undefined });
  assert.match(app.appDefinition.globalData.initError, /needs `server`, the base URL of your heshen service/);
  assert.equal(app.wx.startVerify, undefined);
});

test('verify_mpsdk: completion calls success once and goes back', async () => {
  const { world, app, home } = await verifyWorld();
  home.verify('good-1');
  await world.idle();
  assert.equal(app.top().route, 'verify_mpsdk/index/index');
  const view = app.top().webView;
  assert.ok(view, 'the page hosts the Url in a web-view');
  const { returnUrl } = await person.complete(view, { video });
  await world.idle();
  assert.match(returnUrl, /\/mp\/v1\/return\?token=good-1&verifyDone=1$/);
  assert.deepEqual(home.successes, [{ token: 'good-1', verifyDone: true }]);
  assert.deepEqual(home.failures, []);
  assert.equal(app.top().route, 'pages/home/home');
  const upload = fake.seen.find((s) => s.path === '/h5/good-1/liveness/n0nce');
  assert.equal(upload.headers['content-type'], 'video/mp4');
});

test('verify_mpsdk: token wrong / expired / finished / missing, network trouble, busy', async () => {
  const { world, app, home } = await verifyWorld();
  for (const token of ['wrong', 'expired', 'done', 'down']) {
    home.verify(token);
    await world.idle();
    assert.equal(app.top().route, 'pages/home/home', `${token}: back at once`);
  }
  home.verify('');
  home.verify(undefined);
  await world.idle();
  assert.deepEqual(home.successes, [{ token: 'done', verifyDone: true, alreadyFinished: true }]);
  const codes = home.failures.map((f) => [f.ErrorCode, f.token]);
  assert.deepEqual(codes, [[10002, 'wrong'], [10003, 'expired'], [10005, 'down'], [10001, undefined], [10001, undefined]]);
  for (const f of home.failures) assert.ok(typeof f.ErrorMsg === 'string' && f.ErrorMsg.length > 5, f.ErrorMsg);
  home.failures.length = 0;
  home.verify('good-2');
  home.verify('good-3');
  await world.idle();
  assert.deepEqual(home.failures.map((f) => f.ErrorCode), [10007]);
});

test('verify_mpsdk: quitting (back button, or the flow\'s way out) fails with USER_QUIT', async () => {
  const { world, app, home } = await verifyWorld();
  home.verify('good-4');
  await world.idle();
  await person.arrive(app.top().webView);
  world.pressBack();
  await world.idle();
  home.verify('good-5');
  await world.idle();
  await person.leave(app.top().webView);
  await world.idle();
  assert.deepEqual(home.failures.map((f) => [f.ErrorCode, f.token]), [[10004, 'good-4'], [10004, 'good-5']]);
  assert.deepEqual(home.successes, []);
  assert.equal(app.top().route, 'pages/home/home');
});

test('verify_mpsdk: an old base library is refused with a clear message', async () => {
  const { world, app, home } = await verifyWorld({ baseLibrary: '1.6.0' });
  home.verify('good-6');
  await world.idle();
  assert.equal(app.top().route, 'pages/home/home');
  assert.equal(home.failures.length, 1);
  assert.equal(home.failures[0].ErrorCode, 10006);
  assert.match(home.failures[0].ErrorMsg, /基础库 1\.6\.0.*web-view/);
});

// ---------------------------------------------------------------- verifier + mp_ecard_sdk

async function eidWorld({ server, baseLibrary } = {}) {
  const world = new WeChat(baseLibrary ? { baseLibrary } : {});
  const verifier = apps.installVerifier(world, fake.url);
  const app = apps.installEidIntegrator(world, { server });
  world.open(apps.INTEGRATOR_APPID);
  await world.idle();
  return { world, verifier, app, home: app.top().instance };
}

async function agreeAndStart(world, app) {
  const index = app.top();
  assert.equal(index.route, 'mp_ecard_sdk/index/index');
  index.tap('start');
  await world.idle();
  assert.equal(world.foreground, app, 'no jump before agreeing');
  assert.match(world.toasts.pop().title, /同意/);
  index.tap('agree', { value: ['agree'] });
  index.tap('start');
  await world.idle();
}

test('mp_ecard_sdk + verifier: completion, the callback once, the App onShow exclusion', async () => {
  const { world, verifier, app, home } = await eidWorld();
  const own = app.appDefinition.globalData.ownShowLogic;
  assert.deepEqual(own, [1001]);
  home.goSDK('good-7');
  await world.idle();
  // The protocols are readable pages.
  for (const doc of ['service', 'privacy', 'userAccredit', 'eid']) {
    app.top().tap(`doc-${doc}`);
    await world.idle();
    assert.equal(app.top().route, `mp_ecard_sdk/protocol/${doc}/index`);
    assert.match(app.top().wxml, /class="doc-title"/);
    world.pressBack();
    await world.idle();
  }
  await agreeAndStart(world, app);
  assert.equal(world.foreground, verifier);
  assert.equal(verifier.top().route, 'pages/webview/webview');
  await person.complete(verifier.top().webView, { video });
  await world.idle();
  assert.equal(world.foreground, app);
  assert.deepEqual(home.results, [{ token: 'good-7', verifyDone: true }]);
  assert.equal(app.top().route, 'pages/home/home', 'the SDK page is closed');
  assert.deepEqual(own, [1001], 'the return is excluded from the App onShow logic');
  world.home();
  world.open(apps.INTEGRATOR_APPID);
  await world.idle();
  assert.deepEqual(own, [1001, 1089], 'an ordinary show runs it');
  assert.deepEqual(home.results.length, 1, 'and does not call the callback again');
});

test('mp_ecard_sdk + verifier: quitting, closing, declining, wrong/expired tokens', async () => {
  const { world, verifier, app, home } = await eidWorld();
  // Back button in the verifier's web-view.
  home.goSDK('good-8');
  await world.idle();
  await agreeAndStart(world, app);
  await person.arrive(verifier.top().webView);
  world.pressBack();
  await world.idle();
  // Closing the verifier from its capsule.
  home.goSDK('good-1');
  await world.idle();
  await agreeAndStart(world, app);
  world.closeMiniProgram();
  await world.idle();
  // Declining on the consent page.
  home.goSDK('good-2');
  await world.idle();
  world.pressBack();
  await world.idle();
  // Tokens the verifier refuses (no server given to initEid: the verifier answers).
  for (const token of ['wrong', 'expired']) {
    home.goSDK(token);
    await world.idle();
    await agreeAndStart(world, app);
  }
  assert.deepEqual(home.results, [
    { token: 'good-8', verifyDone: false },
    { token: 'good-1', verifyDone: false },
    { token: 'good-2', verifyDone: false },
    { token: 'wrong', verifyDone: false, tokenStatus: 1 },
    { token: 'expired', verifyDone: false, tokenStatus: 2 },
  ]);
  assert.equal(app.top().route, 'pages/home/home');
  assert.deepEqual(app.appDefinition.globalData.ownShowLogic, [1001]);
});

test('mp_ecard_sdk with server: wrong and expired tokens answered before the jump', async () => {
  const { world, app, home } = await eidWorld({ server: fake.url });
  home.goSDK('wrong');
  await world.idle();
  home.goSDK('expired');
  await world.idle();
  assert.equal(world.foreground, app);
  assert.deepEqual(home.results, [
    { token: 'wrong', verifyDone: false, tokenStatus: 1 },
    { token: 'expired', verifyDone: false, tokenStatus: 2 },
  ]);
  assert.equal(app.top().route, 'pages/home/home');
});

test('mp_ecard_sdk: an old base library is refused with a clear message', async () => {
  const { world, app, home } = await eidWorld({ baseLibrary: '2.0.0' });
  home.goSDK('good-3');
  await world.idle();
  assert.equal(app.top().route, 'pages/home/home');
  assert.equal(home.results.length, 1);
  assert.equal(home.results[0].verifyDone, false);
  assert.match(home.results[0].errMsg, /基础库 2\.0\.0.*onAppShow/);
  assert.match(world.modals.pop().content, /升级/);
});

// ---------------------------------------------------------------- the verifier, raw protocol

async function rawWorld({ baseLibrary } = {}) {
  const world = new WeChat(baseLibrary ? { baseLibrary } : {});
  const verifier = apps.installVerifier(world, fake.url);
  const app = apps.installRawIntegrator(world);
  world.open(apps.INTEGRATOR_APPID);
  await world.idle();
  return { world, verifier, app, home: app.top().instance, g: app.appDefinition.globalData };
}

test('verifier: seed 000 returns (tokenStatus, finished, done) and seed 003 legacy', async () => {
  const { world, verifier, home, g } = await rawWorld();
  home.eid('wrong');
  await world.idle();
  home.eid('expired');
  await world.idle();
  home.eid('done');
  await world.idle();
  home.eid('down');
  await world.idle();
  assert.match(world.modals.pop().content, /暂不可用/);
  home.eid('good-3');
  await world.idle();
  await person.complete(verifier.top().webView, { video });
  await world.idle();
  home.legacy('bad-signature', 'openid-1', 'legacy-app');
  await world.idle();
  home.legacy('good-signature', 'openid-1', 'legacy-app');
  await world.idle();
  await person.complete(verifier.top().webView, { video });
  await world.idle();
  assert.deepEqual(g.returns, [
    { token: 'wrong', tokenStatus: 1 },
    { token: 'expired', tokenStatus: 2 },
    { token: 'done', verifyDone: true },
    { token: 'down' },
    { token: 'good-3', verifyDone: true },
    { errCode: '-4' },
    { token: 'legacy-1', errCode: '0' },
  ]);
  const auth = fake.seen.filter((s) => s.path === '/mp/v1/legacy/auth').pop();
  assert.deepEqual(JSON.parse(auth.body), { signature: 'good-signature', uid: 'openid-1', appid: 'legacy-app' });
  assert.deepEqual(g.ownShowLogic, [1001]);
});

test('verifier: a page left from an earlier entry does not answer for the next one', async () => {
  const { world, verifier, home, g } = await rawWorld();
  home.eid('good-4');
  await world.idle();
  world.closeMiniProgram(); // the web-view page stays in the verifier's background stack
  await world.idle();
  home.eid('good-5'); // relaunches the verifier: the old page unloads
  await world.idle();
  await person.complete(verifier.top().webView, { video });
  await world.idle();
  assert.deepEqual(g.returns, [null, { token: 'good-5', verifyDone: true }]);
});

test('verifier: an old base library gets a clear modal and goes back without verifyDone', async () => {
  const { world, home, g } = await rawWorld({ baseLibrary: '1.6.0' });
  home.eid('good-6');
  await world.idle();
  const modal = world.modals.pop();
  assert.equal(modal.appId, apps.VERIFIER_APPID);
  assert.match(modal.content, /基础库 1\.6\.0.*web-view.*升级/);
  assert.deepEqual(g.returns, [{ token: 'good-6' }]);
});

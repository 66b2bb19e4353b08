'use strict';
// A small model of the WeChat client, enough to run the mini-programs in sdk/miniprogram/
// under Node as WeChat documents them:
//
// - several mini-programs (each: its own `wx`, App(), Page(), getApp(), getCurrentPages(),
//   module loader with WeChat's `require` paths and ES `import` compiled to `require`),
// - a page stack per mini-program (navigateTo, navigateBack, redirectTo, reLaunch; page
//   lifecycle onLoad/onShow/onReady/onHide/onUnload; at most 10 pages),
// - jumps between mini-programs (navigateToMiniProgram: the target gets scene 1037 and
//   `referrerInfo: {appId, extraData}`; navigateBackMiniProgram or the person closing the
//   target: the caller shows again with scene 1038 and `referrerInfo.appId` = the target),
// - wx.request / wx.uploadFile doing real HTTP with WeChat's callback shapes,
// - wx.canIUse answering by base-library version, wx.showModal / showToast recorded,
// - a `<web-view>` that the test drives as "the person": it loads pages over real HTTP,
//   following redirects, and fires `bindload` with `{detail: {src}}` for each page it lands
//   on; `bindmessage` is delivered only when the web-view is destroyed (page unloaded or
//   the component removed), as WeChat documents.
//
// It is test code: faithful where the SDKs depend on WeChat's behaviour, small elsewhere.

const fs = require('node:fs');
const path = require('node:path');

// The base-library version in which each API / component (canIUse string) appeared.
const SINCE = {
  canIUse: '1.1.0',
  request: '1.0.0',
  'request.object.timeout': '2.10.0',
  uploadFile: '1.0.0',
  navigateTo: '1.0.0',
  navigateBack: '1.0.0',
  redirectTo: '1.0.0',
  reLaunch: '1.1.0',
  navigateToMiniProgram: '1.3.0',
  navigateBackMiniProgram: '1.3.0',
  exitMiniProgram: '2.17.3',
  showModal: '1.0.0',
  showToast: '1.0.0',
  showLoading: '1.1.0',
  hideLoading: '1.1.0',
  setNavigationBarTitle: '1.0.0',
  getSystemInfoSync: '1.0.0',
  onAppShow: '2.1.2',
  offAppShow: '2.1.2',
  onAppHide: '2.1.2',
  offAppHide: '2.1.2',
  getLaunchOptionsSync: '2.1.2',
  getEnterOptionsSync: '2.9.4',
  'web-view': '1.6.4',
  'web-view.src': '1.6.4',
  'web-view.bindmessage': '1.6.4',
  'web-view.bindload': '1.6.4',
  'web-view.binderror': '1.6.4',
  navigator: '1.0.0',
  button: '1.0.0',
  checkbox: '1.0.0',
};

const SCENE_FROM_MINI_PROGRAM = 1037;
const SCENE_BACK_FROM_MINI_PROGRAM = 1038;
const SCENE_RECENT_LIST = 1089;
const SCENE_CHAT_LIST = 1001;
const MAX_PAGES = 10;

function compareVersions(a, b) {
  const x = String(a).split('.').map(Number);
  const y = String(b).split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i += 1) {
    const d = (x[i] || 0) - (y[i] || 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

// extraData and options cross a process boundary in WeChat: plain JSON data only.
function copy(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

// "/pages/a/b?x=1&y=2" (relative to `from` when not absolute) → {route, query}. Query
// values are handed over as they are in the URL, not decoded (as WeChat does).
function parsePageUrl(url, from) {
  const [rawPath, rawQuery = ''] = String(url).split('?');
  let route;
  if (rawPath.startsWith('/')) route = rawPath.slice(1);
  else route = path.posix.normalize(path.posix.join(path.posix.dirname(from || ''), rawPath));
  const query = {};
  for (const pair of rawQuery.split('&')) {
    if (!pair) continue;
    const i = pair.indexOf('=');
    if (i < 0) query[pair] = '';
    else query[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return { route, query };
}

function getPath(obj, dotted) {
  return dotted.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);
}

function setPath(obj, dotted, value) {
  const keys = dotted.replace(/\[(\d+)\]/g, '.$1').split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) {
    if (o[k] == null || typeof o[k] !== 'object') o[k] = {};
    o = o[k];
  }
  o[keys[keys.length - 1]] = value;
}

function hostOf(url) {
  const m = /^[a-z]+:\/\/([^/?#]+)/i.exec(url);
  return m ? m[1].toLowerCase() : '';
}

function domainAllowed(list, url) {
  if (!list) return true; // "不校验合法域名" (the developer tools' switch), the default here
  const host = hostOf(url);
  const hostname = host.replace(/:\d+$/, '');
  return list.some((d) => {
    const want = String(d).replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
    return want === host || want === hostname;
  });
}

// WeChat compiles ES modules to CommonJS ("ES6 转 ES5"); the forms the projects use.
function compileModule(source, file) {
  let code = source.replace(
    /^\s*import\s*\{([^}]*)\}\s*from\s*['"]([^'"]+)['"]\s*;?/gm,
    (_, names, spec) => {
      const fields = names
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean)
        .map((n) => n.replace(/\s+as\s+/, ': '));
      return `const { ${fields.join(', ')} } = require(${JSON.stringify(spec)});`;
    },
  );
  code = code.replace(
    /^\s*import\s+\*\s+as\s+(\w+)\s+from\s*['"]([^'"]+)['"]\s*;?/gm,
    (_, name, spec) => `const ${name} = require(${JSON.stringify(spec)});`,
  );
  code = code.replace(
    /^\s*import\s+(\w+)\s+from\s*['"]([^'"]+)['"]\s*;?/gm,
    (_, name, spec) =>
      `const ${name} = (function (m) { return m && m.__esModule ? m.default : m; })(require(${JSON.stringify(spec)}));`,
  );
  code = code.replace(/^\s*import\s*['"]([^'"]+)['"]\s*;?/gm, (_, spec) => `require(${JSON.stringify(spec)});`);
  if (/^\s*export\s/m.test(code)) {
    throw new Error(`wx_simulator: ${file}: ES \`export\` is not modelled; use module.exports`);
  }
  return code;
}

// Node-only globals a mini-program does not have; shadowed so a use fails as in WeChat.
const NOT_IN_WECHAT = [
  'process', 'Buffer', 'fetch', 'URL', 'URLSearchParams', 'setImmediate', 'window', 'document',
  'XMLHttpRequest', 'global', 'globalThis',
];

// The attributes of the tags in a WXML file, by a deliberately small reading of it.
function readTags(wxml) {
  const tags = [];
  const re = /<([a-zA-Z][\w-]*)((?:\s+[\w:.-]+(?:\s*=\s*"[^"]*")?)*)\s*\/?>/g;
  let m;
  while ((m = re.exec(wxml))) {
    const attrs = {};
    const are = /([\w:.-]+)(?:\s*=\s*"([^"]*)")?/g;
    let a;
    while ((a = are.exec(m[2]))) attrs[a[1]] = a[2] === undefined ? '' : a[2];
    tags.push({ name: m[1], attrs });
  }
  return tags;
}

// "{{name}}" or "{{a.b}}" → "a.b"; a literal → null. Anything else is not modelled.
function binding(value, file) {
  if (value === undefined) return undefined;
  const m = /^\s*\{\{\s*([\w$.]+)\s*\}\}\s*$/.exec(value);
  if (m) return m[1];
  if (value.includes('{{')) {
    throw new Error(`wx_simulator: ${file}: only {{name}} bindings are modelled, not ${value}`);
  }
  return null;
}

function handlerOf(attrs, type) {
  return attrs[`bind${type}`] || attrs[`bind:${type}`] || attrs[`catch${type}`] || attrs[`catch:${type}`];
}

function eventObject(type, detail, dataset = {}) {
  const target = { id: '', dataset };
  return { type, timeStamp: Date.now(), target, currentTarget: target, detail };
}

class CookieJar {
  constructor() {
    this.cookies = new Map(); // host → Map(name → value)
  }

  store(url, response) {
    const host = hostOf(url);
    const list = typeof response.headers.getSetCookie === 'function' ? response.headers.getSetCookie() : [];
    for (const line of list) {
      const [pair] = line.split(';');
      const i = pair.indexOf('=');
      if (i < 0) continue;
      if (!this.cookies.has(host)) this.cookies.set(host, new Map());
      this.cookies.get(host).set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
    }
  }

  header(url) {
    const jar = this.cookies.get(hostOf(url));
    if (!jar || jar.size === 0) return undefined;
    return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

// "The person" inside a <web-view>: a browser reduced to HTTP. Page scripts do not run;
// the test performs what they (and the person) would do through navigate / submit / fetch.
class WebView {
  constructor(world, app, page, binding) {
    this.world = world;
    this.app = app;
    this.page = page;
    this.handlers = binding.handlers;
    this.src = null; // the src the page set
    this.url = null; // where the web-view is now (after redirects)
    this.status = null;
    this.html = '';
    this.history = [];
    this.messages = [];
    this.destroyed = false;
    this.jar = new CookieJar();
    this.loads = 0;
    this.loading = null;
  }

  get userAgent() {
    return (
      'Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A) AppleWebKit/537.36 (KHTML, like Gecko) ' +
      'Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 ' +
      `MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64 miniProgram/${this.app.appId}`
    );
  }

  // The page set (or changed) src: WeChat opens it.
  open(src) {
    this.src = src;
    if (!domainAllowed(this.app.domains.business, src)) {
      // Not a business domain: WeChat refuses to open it and says so in binderror.
      this.world.schedule(() => this.fire('error', { src, url: src, fullUrl: src }));
      this.loading = Promise.resolve(null);
      return;
    }
    this.loadError = null;
    this.loading = this.navigate(src).catch((e) => {
      // The page could not be loaded: WeChat shows its error page and fires binderror.
      this.loadError = e;
      if (!this.destroyed) this.fire('error', { src, url: src, fullUrl: src, errMsg: e.message });
      return null;
    });
  }

  resolve(url) {
    return new URL(url, this.url || this.src).toString();
  }

  origin() {
    const base = this.url || this.src;
    const m = /^([a-z]+:\/\/[^/?#]+)/i.exec(base);
    return m ? m[1] : undefined;
  }

  async request(url, { method = 'GET', headers = {}, body, origin = true } = {}) {
    if (this.destroyed) throw new Error('wx_simulator: the web-view is gone (its page was closed)');
    const target = this.resolve(url);
    const h = {
      'User-Agent': this.userAgent,
      'Accept-Language': 'zh-CN,zh;q=0.9',
      ...headers,
    };
    if (method !== 'GET' && origin && this.origin()) h.Origin = this.origin();
    const cookie = this.jar.header(target);
    if (cookie) h.Cookie = cookie;
    const response = await this.world.track(fetch(target, { method, headers: h, body, redirect: 'manual' }));
    this.jar.store(target, response);
    return { url: target, response };
  }

  // A navigation: GET (or a form POST), following redirects as a browser does (303 and
  // 301/302 after POST become GET), then `bindload` for the page landed on.
  async navigate(url, { method = 'GET', form } = {}) {
    let body;
    let headers = {};
    if (form) {
      body = new URLSearchParams(form).toString();
      headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
    }
    let current = this.resolve(url);
    for (let hop = 0; hop < 20; hop += 1) {
      const { response } = await this.request(current, { method, headers, body });
      if (response.status >= 300 && response.status < 400 && response.headers.get('location')) {
        current = new URL(response.headers.get('location'), current).toString();
        if (response.status !== 307 && response.status !== 308) {
          method = 'GET';
          body = undefined;
          headers = {};
        }
        await response.arrayBuffer();
        continue;
      }
      this.status = response.status;
      this.html = await this.world.track(response.text());
      this.url = current;
      this.history.push(current);
      this.loads += 1;
      if (this.destroyed) return this.snapshot();
      this.fire('load', { src: current });
      await this.world.idle();
      return this.snapshot();
    }
    throw new Error(`wx_simulator: too many redirects from ${url}`);
  }

  // A form on the current page submitted (same origin, as the page's own form is).
  submit(url, form) {
    return this.navigate(url, { method: 'POST', form });
  }

  // A request a page script makes (fetch/XHR): no navigation, no bindload.
  async fetch(url, { method = 'GET', headers = {}, body } = {}) {
    const { url: target, response } = await this.request(url, { method, headers, body });
    const text = await this.world.track(response.text());
    return {
      url: target,
      status: response.status,
      headers: Object.fromEntries(response.headers),
      text,
      json() {
        return JSON.parse(text);
      },
    };
  }

  // What an H5 page does with wx.miniProgram.postMessage: kept until the web-view is
  // destroyed (or the page navigates back, or is shared), then delivered in one event.
  postMessage(data) {
    this.messages.push(copy(data));
  }

  snapshot() {
    return { url: this.url, status: this.status, html: this.html };
  }

  fire(type, detail) {
    const name = this.handlers[type];
    if (!name) return;
    const fn = this.page.instance[name];
    if (typeof fn !== 'function') {
      throw new Error(`wx_simulator: ${this.page.route}.wxml binds ${type} to ${name}, which the page lacks`);
    }
    fn.call(this.page.instance, eventObject(type, detail));
  }

  destroy() {
    if (this.destroyed) return;
    if (this.messages.length > 0) this.fire('message', { data: this.messages.splice(0) });
    this.destroyed = true;
  }
}

class PageRecord {
  constructor(app, route, query, definition, wxml) {
    this.app = app;
    this.route = route;
    this.query = query;
    this.wxml = wxml;
    this.tags = readTags(wxml);
    this.events = [];
    this.webView = null;
    this.alive = true;
    const inst = {};
    for (const [k, v] of Object.entries(definition)) {
      if (k !== 'data') inst[k] = v;
    }
    inst.data = copy(definition.data || {});
    inst.route = route;
    inst.options = { ...query };
    inst.setData = (patch, callback) => {
      if (!this.alive) return; // WeChat drops setData on a closed page
      for (const [k, v] of Object.entries(patch || {})) setPath(inst.data, k, copy(v));
      this.render();
      if (typeof callback === 'function') app.world.schedule(callback);
    };
    this.instance = inst;
    const view = this.tags.find((t) => t.name === 'web-view');
    this.webViewBinding = view
      ? {
          src: binding(view.attrs.src, route),
          literal: view.attrs.src,
          when: binding(view.attrs['wx:if'], route),
          handlers: {
            load: handlerOf(view.attrs, 'load'),
            error: handlerOf(view.attrs, 'error'),
            message: handlerOf(view.attrs, 'message'),
          },
        }
      : null;
  }

  call(hook, ...args) {
    this.events.push(hook);
    this.app.world.log.push(`${this.app.appId}:${this.route}:${hook}`);
    const fn = this.instance[hook];
    if (typeof fn === 'function') return fn.apply(this.instance, args);
    return undefined;
  }

  // After each setData: the web-view follows its src binding.
  render() {
    const b = this.webViewBinding;
    if (!b || !this.alive) return;
    const shown = b.when ? Boolean(getPath(this.instance.data, b.when)) : true;
    const src = b.src ? getPath(this.instance.data, b.src) : b.literal;
    if (!shown || !src) {
      if (this.webView) {
        this.webView.destroy();
        this.webView = null;
      }
      return;
    }
    if (!this.app.world.canIUse('web-view')) return; // an unknown tag renders nothing
    if (!this.webView) this.webView = new WebView(this.app.world, this.app, this, b);
    if (this.webView.src !== src) this.webView.open(src);
  }

  // The person taps the element with this id (a <navigator> navigates by itself).
  tap(id, detail = {}) {
    const tag = this.tags.find((t) => t.attrs.id === id);
    if (!tag) throw new Error(`wx_simulator: ${this.route}.wxml has no element with id="${id}"`);
    if (tag.name === 'navigator' && tag.attrs.url) {
      const mode = tag.attrs['open-type'] || 'navigate';
      const wx = this.app.wx;
      if (mode === 'navigateBack') wx.navigateBack({});
      else if (mode === 'redirect') wx.redirectTo({ url: tag.attrs.url });
      else wx.navigateTo({ url: tag.attrs.url });
      return undefined;
    }
    const type = tag.name === 'checkbox-group' || tag.name === 'switch' ? 'change' : 'tap';
    const name = handlerOf(tag.attrs, type);
    if (!name) throw new Error(`wx_simulator: #${id} in ${this.route}.wxml has no ${type} handler`);
    const dataset = {};
    for (const [k, v] of Object.entries(tag.attrs)) {
      if (k.startsWith('data-')) dataset[k.slice(5).replace(/-(\w)/g, (_, c) => c.toUpperCase())] = v;
    }
    return this.instance[name].call(this.instance, eventObject(type, detail, dataset));
  }

  unload() {
    if (this.webView) {
      this.webView.destroy();
      this.webView = null;
    }
    this.call('onUnload');
    this.alive = false;
  }
}

class MiniProgram {
  constructor(world, { appId, root, mounts = {}, files = {}, domains = {}, name }) {
    this.world = world;
    this.appId = appId;
    this.name = name || appId;
    this.root = root;
    this.mounts = mounts; // folder in the project → directory on disk (the copied SDK)
    this.files = files; // path in the project → source text
    this.domains = domains; // {request, uploadFile, downloadFile, business}: lists, or none
    this.modules = new Map();
    this.definitions = new Map();
    this.stack = [];
    this.running = false;
    this.foreground = false;
    this.referrer = null; // the mini-program that opened this one (for going back)
    this.appShow = [];
    this.appHide = [];
    this.launchOptions = null;
    this.enterOptions = null;
    this.appDefinition = null;
    this.config = null;
    this.wx = this.makeWx();
  }

  read(rel) {
    if (Object.prototype.hasOwnProperty.call(this.files, rel)) return this.files[rel];
    for (const [folder, dir] of Object.entries(this.mounts)) {
      if (rel === folder || rel.startsWith(`${folder}/`)) {
        const file = path.join(dir, rel.slice(folder.length));
        return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
      }
    }
    if (this.root) {
      const file = path.join(this.root, rel);
      if (fs.existsSync(file) && fs.statSync(file).isFile()) return fs.readFileSync(file, 'utf8');
    }
    return undefined;
  }

  exists(rel) {
    return this.read(rel) !== undefined;
  }

  // WeChat's require: relative to the requiring file, or absolute from the project root;
  // ".js" may be left out; no node_modules, no index resolution.
  require(spec, fromFile) {
    let rel = spec.startsWith('/')
      ? path.posix.normalize(spec.slice(1))
      : path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), spec));
    if (!rel.endsWith('.js')) rel += '.js';
    if (rel.startsWith('..')) throw new Error(`module "${spec}" is outside the project (from ${fromFile})`);
    if (this.modules.has(rel)) return this.modules.get(rel).exports;
    const source = this.read(rel);
    if (source === undefined) throw new Error(`module "${rel}" is not defined (required from ${fromFile})`);
    const module = { exports: {} };
    this.modules.set(rel, module);
    const code = compileModule(source, rel);
    const params = ['require', 'module', 'exports', 'wx', 'App', 'Page', 'Component', 'getApp', 'getCurrentPages',
      'setTimeout', 'clearTimeout', ...NOT_IN_WECHAT];
    // eslint-disable-next-line no-new-func
    const fn = new Function(...params, `"use strict";\n${code}\n//# sourceURL=${this.appId}/${rel}`);
    fn.call(
      module.exports,
      (s) => this.require(s, rel),
      module,
      module.exports,
      this.wx,
      (def) => this.registerApp(def),
      (def) => this.registerPage(def),
      () => {
        throw new Error('wx_simulator: Component() is not modelled');
      },
      () => this.appDefinition,
      () => this.stack.map((p) => p.instance),
      (fnc, ms, ...args) => this.world.setTimeout(fnc, ms, ...args),
      (id) => this.world.clearTimeout(id),
    );
    return module.exports;
  }

  registerApp(def) {
    if (this.appDefinition) throw new Error('App() called twice');
    def.globalData = def.globalData || {};
    this.appDefinition = def;
  }

  registerPage(def) {
    if (!this.loadingRoute) throw new Error('Page() called outside a page file');
    this.definitions.set(this.loadingRoute, def);
  }

  // Cold start: app.json, app.js, App.onLaunch + onShow, then the page.
  launch(options) {
    const json = this.read('app.json');
    if (json === undefined) throw new Error(`${this.appId}: no app.json`);
    this.config = JSON.parse(json);
    if (!Array.isArray(this.config.pages) || this.config.pages.length === 0) {
      throw new Error(`${this.appId}: app.json lists no pages`);
    }
    for (const route of this.config.pages) {
      for (const ext of ['js', 'wxml']) {
        if (!this.exists(`${route}.${ext}`)) throw new Error(`${this.appId}: page ${route} has no ${route}.${ext}`);
      }
    }
    this.require('/app.js', 'app.js');
    if (!this.appDefinition) throw new Error(`${this.appId}: app.js did not call App()`);
    this.running = true;
    const route = options.path || this.config.pages[0];
    const opts = { ...options, path: route };
    this.launchOptions = copy(opts);
    this.enterOptions = copy(opts);
    this.callApp('onLaunch', copy(opts));
    this.show(opts);
    this.openPage(route, options.query || {});
  }

  callApp(hook, ...args) {
    this.world.log.push(`${this.appId}:App:${hook}`);
    const fn = this.appDefinition[hook];
    if (typeof fn === 'function') fn.apply(this.appDefinition, args);
  }

  show(options, { page = true } = {}) {
    this.foreground = true;
    this.enterOptions = copy(options);
    this.callApp('onShow', copy(options));
    for (const listener of [...this.appShow]) listener(copy(options));
    const top = this.top();
    if (top && page) top.call('onShow');
  }

  hide() {
    if (!this.foreground) return;
    this.foreground = false;
    const top = this.top();
    if (top) top.call('onHide');
    this.callApp('onHide');
    for (const listener of [...this.appHide]) listener();
  }

  top() {
    return this.stack[this.stack.length - 1];
  }

  loadPage(route) {
    if (!this.config.pages.includes(route)) return null;
    if (!this.definitions.has(route)) {
      this.loadingRoute = route;
      try {
        this.require(`/${route}.js`, `${route}.js`);
      } finally {
        this.loadingRoute = null;
      }
      if (!this.definitions.has(route)) throw new Error(`${this.appId}: ${route}.js did not call Page()`);
    }
    return this.definitions.get(route);
  }

  openPage(route, query) {
    const def = this.loadPage(route);
    if (!def) throw new Error(`${this.appId}: page "${route}" is not in app.json`);
    const page = new PageRecord(this, route, query, def, this.read(`${route}.wxml`));
    this.stack.push(page);
    page.call('onLoad', { ...query });
    page.render();
    page.call('onShow');
    page.call('onReady');
    return page;
  }

  canIUse(name) {
    return this.world.canIUse(name);
  }

  makeWx() {
    const app = this;
    const world = this.world;
    // WeChat answers asynchronously: success/fail, then complete.
    const answer = (options, ok, res) => {
      world.schedule(() => {
        const cb = ok ? options.success : options.fail;
        if (typeof cb === 'function') cb(res);
        if (typeof options.complete === 'function') options.complete(res);
      });
    };
    const need = (name, options) => options || {};
    const wx = {
      canIUse: (name) => world.canIUse(name),
      getSystemInfoSync: () => ({
        SDKVersion: world.baseLibrary,
        version: world.wechatVersion,
        platform: 'android',
        system: 'Android 13',
        language: 'zh_CN',
      }),
      getLaunchOptionsSync: () => copy(app.launchOptions),
      getEnterOptionsSync: () => copy(app.enterOptions),
      onAppShow: (fn) => {
        need('onAppShow');
        app.appShow.push(fn);
      },
      offAppShow: (fn) => {
        app.appShow = fn ? app.appShow.filter((f) => f !== fn) : [];
      },
      onAppHide: (fn) => {
        need('onAppHide');
        app.appHide.push(fn);
      },
      offAppHide: (fn) => {
        app.appHide = fn ? app.appHide.filter((f) => f !== fn) : [];
      },
      navigateTo(options) {
        const o = need('navigateTo', options);
        world.schedule(() => {
          const { route, query } = parsePageUrl(o.url, app.top() && app.top().route);
          if (!app.config.pages.includes(route)) {
            return answer(o, false, { errMsg: `navigateTo:fail page "${route}" is not found` });
          }
          if (app.stack.length >= MAX_PAGES) {
            return answer(o, false, { errMsg: 'navigateTo:fail webview count limit exceed' });
          }
          const top = app.top();
          if (top) top.call('onHide');
          app.openPage(route, query);
          return answer(o, true, { errMsg: 'navigateTo:ok' });
        });
      },
      redirectTo(options) {
        const o = need('redirectTo', options);
        world.schedule(() => {
          const { route, query } = parsePageUrl(o.url, app.top() && app.top().route);
          if (!app.config.pages.includes(route)) {
            return answer(o, false, { errMsg: `redirectTo:fail page "${route}" is not found` });
          }
          const top = app.stack.pop();
          if (top) top.unload();
          app.openPage(route, query);
          return answer(o, true, { errMsg: 'redirectTo:ok' });
        });
      },
      reLaunch(options) {
        const o = need('reLaunch', options);
        world.schedule(() => {
          const { route, query } = parsePageUrl(o.url, app.top() && app.top().route);
          if (!app.config.pages.includes(route)) {
            return answer(o, false, { errMsg: `reLaunch:fail page "${route}" is not found` });
          }
          app.unloadAll();
          app.openPage(route, query);
          return answer(o, true, { errMsg: 'reLaunch:ok' });
        });
      },
      navigateBack(options) {
        const o = need('navigateBack', options);
        world.schedule(() => {
          if (app.stack.length <= 1) {
            return answer(o, false, { errMsg: 'navigateBack:fail cannot navigate back at first page.' });
          }
          app.back(Math.max(1, Number(o.delta) || 1));
          return answer(o, true, { errMsg: 'navigateBack:ok' });
        });
      },
      navigateToMiniProgram(options) {
        const o = need('navigateToMiniProgram', options);
        world.schedule(() => world.jump(app, o, answer));
      },
      navigateBackMiniProgram(options) {
        const o = need('navigateBackMiniProgram', options);
        world.schedule(() => {
          if (!app.foreground || !app.referrer) {
            return answer(o, false, { errMsg: 'navigateBackMiniProgram:fail not opened by another mini-program' });
          }
          world.returnFrom(app, o.extraData);
          return answer(o, true, { errMsg: 'navigateBackMiniProgram:ok' });
        });
      },
      showModal(options) {
        const o = need('showModal', options);
        const modal = { appId: app.appId, title: o.title || '', content: o.content || '', showCancel: o.showCancel !== false };
        world.modals.push(modal);
        const confirm = world.modalAnswer(modal) !== false;
        answer(o, true, { errMsg: 'showModal:ok', confirm, cancel: !confirm });
      },
      showToast(options) {
        const o = need('showToast', options);
        world.toasts.push({ appId: app.appId, title: o.title || '', icon: o.icon || 'success' });
        answer(o, true, { errMsg: 'showToast:ok' });
      },
      showLoading(options) {
        const o = need('showLoading', options);
        answer(o, true, { errMsg: 'showLoading:ok' });
      },
      hideLoading(options) {
        answer(options || {}, true, { errMsg: 'hideLoading:ok' });
      },
      setNavigationBarTitle(options) {
        answer(options || {}, true, { errMsg: 'setNavigationBarTitle:ok' });
      },
      request(options) {
        const o = need('request', options);
        return world.httpRequest(app, o, answer);
      },
      uploadFile(options) {
        const o = need('uploadFile', options);
        return world.httpUpload(app, o, answer);
      },
    };
    // An API newer than the base library is simply absent from wx, as in WeChat.
    for (const name of Object.keys(wx)) {
      if (SINCE[name] !== undefined && !world.canIUse(name)) delete wx[name];
    }
    return wx;
  }

  back(delta) {
    for (let i = 0; i < delta && this.stack.length > 1; i += 1) this.stack.pop().unload();
    const top = this.top();
    if (top) top.call('onShow');
  }

  unloadAll() {
    while (this.stack.length > 0) this.stack.pop().unload();
  }
}

class WeChat {
  constructor({ baseLibrary = '3.3.4', wechatVersion = '8.0.47', modalAnswer, confirmJump } = {}) {
    this.baseLibrary = baseLibrary;
    this.wechatVersion = wechatVersion;
    this.apps = new Map();
    this.foreground = null;
    this.modals = [];
    this.toasts = [];
    this.log = [];
    this.pending = 0;
    this.errors = [];
    this.timers = new Map();
    this.modalAnswer = modalAnswer || (() => true);
    // WeChat asks the person before opening another mini-program ("即将打开…").
    this.confirmJump = confirmJump || (() => true);
  }

  canIUse(name) {
    const since = SINCE[String(name)];
    return since !== undefined && compareVersions(this.baseLibrary, since) >= 0;
  }

  install(options) {
    if (this.apps.has(options.appId)) throw new Error(`${options.appId} installed twice`);
    const app = new MiniProgram(this, options);
    this.apps.set(options.appId, app);
    return app;
  }

  app(appId) {
    const app = this.apps.get(appId);
    if (!app) throw new Error(`wx_simulator: no mini-program ${appId}`);
    return app;
  }

  // The person opens a mini-program from WeChat itself (chat list, recent list…).
  open(appId, { path: route, query = {}, scene } = {}) {
    const app = this.app(appId);
    if (this.foreground && this.foreground !== app) this.foreground.hide();
    this.foreground = app;
    app.referrer = null;
    if (!app.running) {
      app.launch({ path: route, query, scene: scene || SCENE_CHAT_LIST, referrerInfo: {} });
    } else {
      app.show({ path: route || app.top().route, query, scene: scene || SCENE_RECENT_LIST, referrerInfo: {} });
    }
    return app;
  }

  // The person presses WeChat's home button / switches away: nothing is in front.
  home() {
    if (this.foreground) this.foreground.hide();
    this.foreground = null;
  }

  // The person presses back. On a mini-program's first page, when another mini-program
  // opened it, WeChat returns to that one (scene 1038, no extraData).
  pressBack() {
    const app = this.foreground;
    if (!app) throw new Error('wx_simulator: nothing in front to press back on');
    if (app.stack.length > 1) {
      app.back(1);
    } else if (app.referrer) {
      this.returnFrom(app, undefined);
    } else {
      this.home();
    }
  }

  // The person closes the mini-program from its capsule button: WeChat returns to the
  // mini-program that opened it, if any, with scene 1038 and no extraData.
  closeMiniProgram() {
    const app = this.foreground;
    if (!app) throw new Error('wx_simulator: nothing in front to close');
    if (app.referrer) this.returnFrom(app, undefined);
    else this.home();
  }

  jump(caller, o, answer) {
    const target = this.apps.get(o.appId);
    if (!target) return answer(o, false, { errMsg: 'navigateToMiniProgram:fail invalid appid' });
    if (target === caller) return answer(o, false, { errMsg: 'navigateToMiniProgram:fail can not navigate to self' });
    if (!this.confirmJump({ from: caller.appId, to: o.appId })) {
      return answer(o, false, { errMsg: 'navigateToMiniProgram:fail cancel' });
    }
    caller.hide();
    this.foreground = target;
    target.referrer = caller;
    const { route, query } = o.path ? parsePageUrl(o.path, '') : { route: '', query: {} };
    const referrerInfo = { appId: caller.appId };
    if (o.extraData !== undefined) referrerInfo.extraData = copy(o.extraData);
    const options = { path: route, query, scene: SCENE_FROM_MINI_PROGRAM, referrerInfo };
    if (!target.running) {
      if (!route) options.path = undefined;
      target.launch(options);
    } else {
      // A mini-program in the background, opened again with a path: it shows, then
      // relaunches to that page.
      target.show({ ...options, path: route || target.top().route }, { page: !route });
      if (route) {
        if (!target.config.pages.includes(route)) throw new Error(`${target.appId}: no page ${route}`);
        target.unloadAll();
        target.openPage(route, query);
      }
    }
    return answer(o, true, { errMsg: 'navigateToMiniProgram:ok' });
  }

  returnFrom(app, extraData) {
    const caller = app.referrer;
    app.hide();
    app.referrer = null;
    this.foreground = caller;
    const referrerInfo = { appId: app.appId };
    if (extraData !== undefined) referrerInfo.extraData = copy(extraData);
    const top = caller.top();
    caller.show({
      path: top ? top.route : '',
      query: top ? { ...top.query } : {},
      scene: SCENE_BACK_FROM_MINI_PROGRAM,
      referrerInfo,
    });
  }

  // ----- asynchrony: everything WeChat does later is counted, so a test can wait for it.

  setTimeout(fn, ms, ...args) {
    this.pending += 1;
    const id = setTimeout(() => {
      this.timers.delete(id);
      this.pending -= 1;
      this.guard(() => fn(...args));
    }, ms);
    this.timers.set(id, true);
    return id;
  }

  clearTimeout(id) {
    if (this.timers.delete(id)) {
      clearTimeout(id);
      this.pending -= 1;
    }
  }

  schedule(fn) {
    return this.setTimeout(fn, 0);
  }

  guard(fn) {
    try {
      fn();
    } catch (e) {
      // An exception in mini-program code: WeChat logs it; here the test sees it.
      this.errors.push(e);
    }
  }

  track(promise) {
    this.pending += 1;
    return promise.finally(() => {
      this.pending -= 1;
    });
  }

  // Resolves once nothing is pending (timers, HTTP, callbacks) for a few turns.
  async idle({ timeout = 30000 } = {}) {
    const until = Date.now() + timeout;
    let quiet = 0;
    while (quiet < 3) {
      await new Promise((r) => setImmediate(r));
      if (this.pending === 0) quiet += 1;
      else {
        quiet = 0;
        await new Promise((r) => setTimeout(r, 2));
      }
      if (Date.now() > until) throw new Error(`wx_simulator: still busy after ${timeout} ms`);
    }
    if (this.errors.length > 0) {
      const e = this.errors.shift();
      throw e;
    }
  }

  async waitFor(predicate, { timeout = 30000, what = 'the condition' } = {}) {
    const until = Date.now() + timeout;
    while (!predicate()) {
      if (this.errors.length > 0) throw this.errors.shift();
      if (Date.now() > until) throw new Error(`wx_simulator: timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  // ----- network

  headersFor(app, extra) {
    return {
      'User-Agent': `Mozilla/5.0 (Linux; Android 13) MicroMessenger/${this.wechatVersion} miniProgram`,
      Referer: `https://servicewechat.com/${app.appId}/devtools/page-frame.html`,
      ...extra,
    };
  }

  httpRequest(app, o, answer) {
    const controller = new AbortController();
    const method = String(o.method || 'GET').toUpperCase();
    let url = String(o.url || '');
    const headers = this.headersFor(app, {});
    for (const [k, v] of Object.entries(o.header || {})) headers[k] = String(v);
    const type = Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type');
    const contentType = type ? type[1] : 'application/json';
    if (!type) headers['content-type'] = contentType;
    let body;
    const encode = (data) =>
      Object.entries(data)
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
        .join('&');
    if (o.data !== undefined && o.data !== null) {
      if (method === 'GET') {
        if (typeof o.data === 'object') {
          const q = encode(o.data);
          if (q) url += (url.includes('?') ? '&' : '?') + q;
        } else url += (url.includes('?') ? '&' : '?') + String(o.data);
      } else if (typeof o.data === 'string' || o.data instanceof ArrayBuffer) {
        body = o.data;
      } else if (/x-www-form-urlencoded/i.test(contentType)) {
        body = encode(o.data);
      } else {
        body = JSON.stringify(o.data);
      }
    }
    const task = { abort: () => controller.abort() };
    if (!/^https?:\/\//i.test(url)) {
      answer(o, false, { errMsg: `request:fail invalid url "${url}"` });
      return task;
    }
    if (!domainAllowed(app.domains.request, url)) {
      answer(o, false, { errMsg: `request:fail url not in domain list: ${url}` });
      return task;
    }
    const timeout = Number(o.timeout) || 60000;
    const timer = setTimeout(() => controller.abort(), timeout);
    this.track(
      fetch(url, { method, headers, body, signal: controller.signal })
        .then(async (response) => {
          let data;
          if (o.responseType === 'arraybuffer') data = await response.arrayBuffer();
          else {
            data = await response.text();
            if ((o.dataType || 'json') === 'json') {
              try {
                data = JSON.parse(data);
              } catch (_) {
                /* WeChat hands over the text when it is not JSON */
              }
            }
          }
          answer(o, true, {
            data,
            statusCode: response.status,
            header: Object.fromEntries(response.headers),
            cookies: typeof response.headers.getSetCookie === 'function' ? response.headers.getSetCookie() : [],
            errMsg: 'request:ok',
          });
        })
        .catch((e) => {
          const why = controller.signal.aborted ? 'timeout' : (e.cause && e.cause.code) || e.message;
          answer(o, false, { errMsg: `request:fail ${why}` });
        })
        .finally(() => clearTimeout(timer)),
    );
    return task;
  }

  httpUpload(app, o, answer) {
    const url = String(o.url || '');
    const task = { abort() {} };
    if (!domainAllowed(app.domains.uploadFile, url)) {
      answer(o, false, { errMsg: `uploadFile:fail url not in domain list: ${url}` });
      return task;
    }
    let bytes;
    try {
      bytes = fs.readFileSync(o.filePath);
    } catch (e) {
      answer(o, false, { errMsg: `uploadFile:fail file not found: ${o.filePath}` });
      return task;
    }
    const form = new FormData();
    for (const [k, v] of Object.entries(o.formData || {})) form.append(k, String(v));
    form.append(o.name || 'file', new Blob([bytes]), path.basename(o.filePath));
    const headers = this.headersFor(app, {});
    for (const [k, v] of Object.entries(o.header || {})) {
      if (k.toLowerCase() !== 'content-type') headers[k] = String(v);
    }
    this.track(
      fetch(url, { method: 'POST', headers, body: form })
        .then(async (response) => {
          answer(o, true, { data: await response.text(), statusCode: response.status, errMsg: 'uploadFile:ok' });
        })
        .catch((e) => answer(o, false, { errMsg: `uploadFile:fail ${(e.cause && e.cause.code) || e.message}` })),
    );
    return task;
  }
}

module.exports = {
  WeChat,
  SINCE,
  compareVersions,
  compileModule,
  SCENE_FROM_MINI_PROGRAM,
  SCENE_BACK_FROM_MINI_PROGRAM,
  SCENE_RECENT_LIST,
  SCENE_CHAT_LIST,
};

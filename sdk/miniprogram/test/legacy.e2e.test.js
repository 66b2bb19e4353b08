'use strict';
// The legacy real-name protocol (seed 003, docs/legacy.md) against a real heshen server: an
// integrator's mini-program jumps to the verifier's page/component/pages/index/index with
// {signature, uid, appid} signed as seed 003's NodeJS sample; the verifier has heshen check
// them (POST /mp/v1/legacy/auth), runs the flow in its web-view and goes back with
// {token, errCode}. The backend then pulls getdetectinfo.php and decrypts `data`.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');

const { WeChat } = require('./wx_simulator');
const apps = require('./apps');
const person = require('./person');
const backend = require('./heshen_env');

const E2E = { timeout: 300000 };

async function legacyWorld() {
  const e = backend.env();
  const world = new WeChat();
  const verifier = apps.installVerifier(world, e.HESHEN_URL);
  const raw = apps.installRawIntegrator(world);
  world.open(apps.INTEGRATOR_APPID);
  await world.idle();
  return { world, verifier, raw, home: raw.top().instance, g: raw.appDefinition.globalData };
}

// docs/legacy.md: data = Base64(IV ‖ AES-256-CBC(SHA-256(secret), IV, JSON)).
function decryptData(data, secretKey) {
  const bytes = Buffer.from(data, 'base64');
  const key = crypto.createHash('sha256').update(secretKey, 'utf8').digest();
  const decipher = crypto.createDecipheriv('aes-256-cbc', key, bytes.subarray(0, 16));
  return JSON.parse(Buffer.concat([decipher.update(bytes.subarray(16)), decipher.final()]).toString('utf8'));
}

test('legacy: the person completes the flow; back with {token, errCode: "0"}; the backend pulls it', E2E, async () => {
  const e = backend.env();
  const { world, verifier, home, g } = await legacyWorld();
  home.legacy(backend.legacySignature(), 'openid-of-the-person', e.HESHEN_LEGACY_APPID);
  await world.idle();
  assert.equal(world.foreground, verifier);
  assert.equal(verifier.stack[0].route, 'page/component/pages/index/index');
  assert.equal(verifier.top().route, 'pages/webview/webview', `the signature was accepted: ${JSON.stringify(g.returns)}`);
  const { returnUrl, visited } = await person.complete(apps.webViewOf(world, verifier), {
    video: e.video('legacy'),
    identity: backend.identity(),
  });
  await world.idle();
  assert.match(returnUrl, /errCode=0/, visited.join(' → '));
  assert.equal(g.returns.length, 1);
  const [back] = g.returns;
  assert.deepEqual(Object.keys(back).sort(), ['errCode', 'token']);
  assert.equal(back.errCode, '0');
  assert.equal(typeof back.token, 'string');
  assert.deepEqual(g.ownShowLogic, [1001]);

  // The integrator's backend pulls the result with the token (seed 003 §1.3).
  const res = await fetch(`${e.HESHEN_URL}/new/cgi-bin/getdetectinfo.php`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      signature: backend.getAppSign('getdetectinfo', e.HESHEN_LEGACY_APPID, e.HESHEN_LEGACY_SECRET, 600),
    },
    body: JSON.stringify({ token: back.token, appid: e.HESHEN_LEGACY_APPID, info_type: 1 }),
  });
  const body = await res.json();
  assert.equal(body.errorcode, 0, JSON.stringify(body));
  const info = decryptData(body.data, e.HESHEN_LEGACY_SECRET);
  assert.equal(info.ID, e.HESHEN_PERSON_ID);
  assert.equal(info.name, e.HESHEN_PERSON_NAME);
  assert.equal(Number(info.yt_errorcode), 0, JSON.stringify(info));
});

test('legacy: bad signatures come back at once with their errCode, and no token', E2E, async () => {
  const e = backend.env();
  const { world, home, g } = await legacyWorld();
  const otherKey = crypto.randomBytes(16).toString('hex');
  home.legacy(backend.legacySignature({ secret: otherKey }), 'openid-1', e.HESHEN_LEGACY_APPID);
  await world.idle();
  home.legacy('not base64 of anything', 'openid-1', e.HESHEN_LEGACY_APPID);
  await world.idle();
  home.legacy(backend.getAppSign('getdetectinfo', e.HESHEN_LEGACY_APPID, e.HESHEN_LEGACY_SECRET, 600), 'openid-1', e.HESHEN_LEGACY_APPID);
  await world.idle();
  assert.deepEqual(g.returns, [{ errCode: '703' }, { errCode: '701' }, { errCode: '705' }]);
  assert.equal(world.foreground.appId, apps.INTEGRATOR_APPID);
});

test('legacy: the person quitting comes back with the token and no errCode "0"', E2E, async () => {
  const e = backend.env();
  const { world, verifier, home, g } = await legacyWorld();
  home.legacy(backend.legacySignature(), 'openid-2', e.HESHEN_LEGACY_APPID);
  await world.idle();
  await person.arrive(apps.webViewOf(world, verifier));
  world.pressBack();
  await world.idle();
  assert.equal(g.returns.length, 1);
  assert.equal(typeof g.returns[0].token, 'string');
  assert.notEqual(g.returns[0].errCode, '0');
});

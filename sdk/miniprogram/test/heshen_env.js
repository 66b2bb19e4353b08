'use strict';
// The real heshen server the end-to-end suites talk to, as the Rust harness
// (crates/heshen/tests/miniprogram.rs) describes it in environment variables, and the
// integrator's backend: tokens and results through the official Tencent Cloud Node SDK,
// pointed at heshen by its endpoint only; legacy signatures as seed 003's NodeJS sample.

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const REQUIRED = [
  'HESHEN_URL',
  'HESHEN_ENDPOINT',
  'HESHEN_SECRET_ID',
  'HESHEN_SECRET_KEY',
  'HESHEN_RULE_ID',
  'HESHEN_MERCHANT_ID',
  'HESHEN_PERSON_ID',
  'HESHEN_PERSON_NAME',
  'HESHEN_VIDEOS',
  'HESHEN_EXPIRED_TOKEN',
  'HESHEN_LEGACY_APPID',
  'HESHEN_LEGACY_SECRET',
];

const SDK_PATH = path.resolve(__dirname, '../../../tests/clients/node/node_modules/tencentcloud-sdk-nodejs');

function env() {
  const missing = REQUIRED.filter((k) => !process.env[k]);
  if (missing.length > 0) {
    throw new Error(
      `the end-to-end mini-program suites need a running heshen server; set ${missing.join(', ')} ` +
        '(`cargo test -p heshen --test miniprogram` starts one and sets them all). ' +
        'The unit suite alone: node --test sdk/miniprogram/test/unit.test.js',
    );
  }
  const e = Object.fromEntries(REQUIRED.map((k) => [k, process.env[k]]));
  e.HESHEN_URL = e.HESHEN_URL.replace(/\/+$/, '');
  // One take per suite: heshen refuses a recording it has judged before as a replay, so each
  // completed flow films the person anew. HESHEN_VIDEOS is `suite=path,suite=path,…`.
  const takes = Object.fromEntries(
    e.HESHEN_VIDEOS.split(',').map((pair) => pair.split('=')).filter((kv) => kv.length === 2),
  );
  e.video = (suite) => {
    const take = takes[suite];
    if (!take || !fs.existsSync(take)) throw new Error(`HESHEN_VIDEOS has no recording for ${suite}: ${e.HESHEN_VIDEOS}`);
    return take;
  };
  return e;
}

let client;
function faceid() {
  if (client) return client;
  const e = env();
  let tencentcloud;
  try {
    tencentcloud = require(SDK_PATH);
  } catch (err) {
    throw new Error(`the official Node SDK is not installed at ${SDK_PATH} (${err.message}); run scripts/setup-test-deps.sh`);
  }
  client = new tencentcloud.faceid.v20180301.Client({
    credential: { secretId: e.HESHEN_SECRET_ID, secretKey: e.HESHEN_SECRET_KEY },
    region: 'ap-guangzhou',
    profile: { httpProfile: { endpoint: e.HESHEN_ENDPOINT, protocol: 'http://', reqTimeout: 60 } },
  });
  return client;
}

// The integrator's backend starting a verification (seed 002: DetectAuth → BizToken).
async function detectAuth() {
  const e = env();
  const res = await faceid().DetectAuth({ RuleId: e.HESHEN_RULE_ID, IdCard: e.HESHEN_PERSON_ID, Name: e.HESHEN_PERSON_NAME });
  if (!res.BizToken) throw new Error(`DetectAuth gave no BizToken: ${JSON.stringify(res)}`);
  return res.BizToken;
}

async function detectResult(token) {
  const e = env();
  return faceid().GetDetectInfoEnhanced({ BizToken: token, RuleId: e.HESHEN_RULE_ID, InfoType: '0' });
}

// Seed 001: GetEidToken with the identity supplied by the backend (Config.InputType "4").
async function eidToken() {
  const e = env();
  const res = await faceid().GetEidToken({
    MerchantId: e.HESHEN_MERCHANT_ID,
    IdCard: e.HESHEN_PERSON_ID,
    Name: e.HESHEN_PERSON_NAME,
    Config: { InputType: '4' },
  });
  if (!res.EidToken) throw new Error(`GetEidToken gave no EidToken: ${JSON.stringify(res)}`);
  return res.EidToken;
}

async function eidResult(token) {
  return faceid().GetEidResult({ EidToken: token, InfoType: '0' });
}

// Seed 003's NodeJS sample (Buffer.from for the deprecated `new Buffer`, same bytes).
function getAppSign(apiName, appId, appSecretKey, signExpired) {
  if (!apiName || !appId || !appSecretKey || !signExpired) return '';
  const now = parseInt(Date.now() / 1000, 10);
  const plainText = `a=${appId}&m=${apiName}&t=${now}&e=${signExpired}`;
  const data = Buffer.from(plainText, 'utf8');
  const res = crypto.createHmac('sha1', appSecretKey).update(data).digest();
  const bin = Buffer.concat([res, data]);
  const sign = bin.toString('base64');
  return sign;
}

// The legacy entry's signature (docs/legacy.md: m=auth), valid 600 s as the seed shows.
function legacySignature({ secret } = {}) {
  const e = env();
  return getAppSign('auth', e.HESHEN_LEGACY_APPID, secret || e.HESHEN_LEGACY_SECRET, 600);
}

function identity() {
  const e = env();
  return { name: e.HESHEN_PERSON_NAME, idCard: e.HESHEN_PERSON_ID };
}

module.exports = {
  REQUIRED,
  env,
  faceid,
  detectAuth,
  detectResult,
  eidToken,
  eidResult,
  getAppSign,
  legacySignature,
  identity,
};

#!/usr/bin/env node
// An integrator's backend of the legacy real-name protocol, signing as seed 003's NodeJS
// sample does (getAppSign below is that sample, with `Buffer.from` for the deprecated
// `new Buffer` and an optional clock for expiry tests).
//
//   node legacy_client.js sign API APPID SECRET EXPIRED [NOW]   → prints the signature
//   node legacy_client.js auth SERVER APPID SECRET UID [EXPIRED] → the entry's JSON reply
//
// Used by crates/heshen/tests/legacy.rs and sdk/miniprogram's tests.
'use strict';
const crypto = require('crypto');

function getAppSign(apiName, appId, appSecretKey, signExpired, now) {
  if (!apiName || !appId || !appSecretKey || !signExpired) return '';
  if (now === undefined) now = parseInt(Date.now() / 1000);
  const plainText = 'a=' + appId + '&m=' + apiName + '&t=' + now + '&e=' + signExpired;
  const data = Buffer.from(plainText, 'utf8');
  const res = crypto.createHmac('sha1', appSecretKey).update(data).digest();
  const bin = Buffer.concat([res, data]);
  return bin.toString('base64');
}

async function main() {
  const [command, ...args] = process.argv.slice(2);
  if (command === 'sign') {
    const [api, appId, secret, expired, now] = args;
    process.stdout.write(getAppSign(api, appId, secret, expired, now === undefined ? undefined : Number(now)) + '\n');
    return;
  }
  if (command === 'auth') {
    const [server, appId, secret, uid, expired] = args;
    const signature = getAppSign('auth', appId, secret, expired || '600');
    const res = await fetch(server.replace(/\/$/, '') + '/mp/v1/legacy/auth', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ signature, uid, appid: appId }),
    });
    process.stdout.write(JSON.stringify(await res.json()) + '\n');
    return;
  }
  process.stderr.write('usage: legacy_client.js sign API APPID SECRET EXPIRED [NOW] | auth SERVER APPID SECRET UID [EXPIRED]\n');
  process.exit(2);
}

if (require.main === module) {
  main().catch((e) => { process.stderr.write(String(e.stack || e) + '\n'); process.exit(1); });
}
module.exports = { getAppSign };

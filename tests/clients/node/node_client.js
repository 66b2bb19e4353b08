#!/usr/bin/env node
// Calls one faceid 2018-03-01 action through the OFFICIAL Tencent Cloud Node SDK
// (tencentcloud-sdk-nodejs). Used by crates/heshen/tests/official_clients.rs.
//
//   node node_client.js ENDPOINT SECRET_ID SECRET_KEY SIGN_METHOD REQ_METHOD ACTION ['{"RuleId":"1"}']
//
// ENDPOINT is host:port (no scheme), SIGN_METHOD TC3-HMAC-SHA256 | HmacSHA256 | HmacSHA1,
// REQ_METHOD POST | GET. Prints exactly one JSON line: the action's Response object
// (RequestId included), or {"error": {"code", "message", "requestId"}}. Exit status 0
// either way; 2 when the SDK is missing or the arguments are wrong.
"use strict";

let tencentcloud;
try {
  tencentcloud = require("tencentcloud-sdk-nodejs");
} catch (e) {
  console.log(JSON.stringify({ fatal: `tencentcloud-sdk-nodejs not installed (${e.message}); run scripts/setup-test-deps.sh` }));
  process.exit(2);
}

const [endpoint, secretId, secretKey, signMethod, reqMethod, action, rawFields] = process.argv.slice(2);
if (!action) {
  console.log(JSON.stringify({ fatal: "usage: node_client.js ENDPOINT SECRET_ID SECRET_KEY SIGN_METHOD REQ_METHOD ACTION [FIELDS_JSON]" }));
  process.exit(2);
}
const fields = JSON.parse(rawFields || "{}");

const client = new tencentcloud.faceid.v20180301.Client({
  credential: { secretId, secretKey },
  region: "ap-guangzhou",
  profile: {
    signMethod,
    httpProfile: { protocol: "http://", endpoint, reqMethod, reqTimeout: 30 },
  },
});

(async () => {
  let out;
  try {
    // Known actions through their typed method; anything else through the generic request().
    out = typeof client[action] === "function" ? await client[action](fields) : await client.request(action, fields);
  } catch (e) {
    out = { error: { code: e.code === undefined ? null : e.code, message: e.message, requestId: e.requestId || null } };
  }
  console.log(JSON.stringify(out));
})();

// The legacy real-name entry (seed 003): extraData {signature, uid, appid}. heshen checks the
// signature (POST /mp/v1/legacy/auth) and issues a token; the flow runs in the web-view page
// and the verifier goes back with {token, errCode}, or with {errCode} when refused.
const flow = require('../../../../lib/flow');

Page({
  data: {
    title: '正在开始身份核验…',
    message: '',
  },

  onLoad(query) {
    flow.serveLegacy(this, flow.entry(query));
  },
});

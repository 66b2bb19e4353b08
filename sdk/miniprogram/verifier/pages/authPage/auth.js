// The entry other mini-programs open (seed 000): extraData {token}. Checks the token with
// heshen, then runs the flow in the web-view page, or goes straight back with tokenStatus.
const flow = require('../../lib/flow');

Page({
  data: {
    title: '正在核对核验凭证…',
    message: '',
  },

  onLoad(query) {
    const params = flow.entry(query);
    const token = typeof params.token === 'string' ? params.token : '';
    flow.serveToken(this, token);
  },
});

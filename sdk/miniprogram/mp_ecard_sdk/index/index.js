// The page startEid opens: the person reads and accepts the protocols, then is taken to the
// verification mini-program. When initEid was given `server`, a wrong or expired EidToken
// is answered here at once (GET /mp/v1/tokens/{token}), without the jump.
const Eid = require('../main');

function decode(value) {
  try {
    return decodeURIComponent(value);
  } catch (e) {
    return value;
  }
}

Page({
  data: {
    state: 'checking', // checking → consent
    agreed: false,
    message: '',
  },

  onLoad(query) {
    this.token = decode((query && query.token) || '');
    this.job = Eid.current(this.token);
    if (!this.job) {
      this.setData({ state: 'idle', message: '没有进行中的核验，请在小程序中通过 startEid 发起。' });
      return;
    }
    const settings = Eid.config();
    if (!settings.server) {
      this.setData({ state: 'consent' });
      return;
    }
    const page = this;
    const job = this.job;
    wx.request({
      url: `${settings.server}/mp/v1/tokens/${encodeURIComponent(this.token)}`,
      method: 'GET',
      dataType: 'json',
      success(res) {
        const status = res.statusCode === 200 && res.data ? res.data.TokenStatus : undefined;
        if (status === 1 || status === 2) {
          Eid.finish(job, { token: job.token, verifyDone: false, tokenStatus: status });
        } else if (status === 3) {
          Eid.finish(job, { token: job.token, verifyDone: true });
        } else {
          page.setData({ state: 'consent' });
        }
      },
      fail() {
        // The verification mini-program checks the token too; let the person go on.
        page.setData({ state: 'consent' });
      },
    });
  },

  onAgreeChange(event) {
    const values = (event && event.detail && event.detail.value) || [];
    this.setData({ agreed: values.indexOf('agree') >= 0 });
  },

  onStart() {
    if (!this.job || this.job.settled) return;
    if (!this.data.agreed) {
      wx.showToast({ title: '请先阅读并同意以上协议', icon: 'none' });
      return;
    }
    Eid.jump(this.job, {
      fail(err) {
        const why = (err && err.errMsg) || '';
        if (/cancel/.test(why)) return; // the person declined WeChat's "open mini-program" prompt
        wx.showModal({ title: '无法打开核验小程序', content: `请稍后重试。（${why}）`, showCancel: false });
      },
    });
  },

  onUnload() {
    // Leaving before the jump is declining: verifyDone false. After the jump, the return
    // (wx.onAppShow) settles the verification.
    const job = this.job;
    if (!job || job.settled || job.jumped) {
      if (job) job.pageGone = true;
      return;
    }
    job.pageGone = true;
    Eid.finish(job, { token: job.token, verifyDone: false });
  },
});

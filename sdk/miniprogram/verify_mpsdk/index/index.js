// The page wx.startVerify opens: checks the BizToken with heshen, hosts the H5 flow in a
// <web-view>, and when the flow reaches /mp/v1/return goes back and calls success or fail.
const Verify = require('../main');

const { ErrorCode } = Verify;

Page({
  data: {
    src: '',
    title: '正在准备人脸核身…',
    message: '',
  },

  onLoad(query) {
    const token = Verify.decode((query && query.token) || '');
    this.token = token;
    this.ending = false;
    this.job = Verify.claim(token);
    if (!this.job) {
      this.setData({ title: '没有进行中的核身', message: '请在小程序中通过 wx.startVerify 发起人脸核身。' });
      return;
    }
    const page = this;
    wx.request({
      url: `${Verify.server()}/mp/v1/tokens/${encodeURIComponent(token)}`,
      method: 'GET',
      dataType: 'json',
      success(res) {
        const body = res.data;
        if (res.statusCode !== 200 || !body || typeof body.TokenStatus !== 'number') {
          page.end(false, Verify.error(ErrorCode.NETWORK_ERROR, `核身服务暂不可用（HTTP ${res.statusCode}），请稍后重试。`, token));
        } else if (body.TokenStatus === 1) {
          page.end(false, Verify.error(ErrorCode.TOKEN_WRONG, 'BizToken 有误：核身服务不认识这个 token。', token));
        } else if (body.TokenStatus === 2) {
          page.end(false, Verify.error(ErrorCode.TOKEN_EXPIRED, 'BizToken 已过期，请重新发起核身。', token));
        } else if (body.TokenStatus === 3) {
          // Finished before: its result can be pulled, which is what success says.
          page.end(true, { token, verifyDone: true, alreadyFinished: true });
        } else if (body.TokenStatus === 0 && body.Url) {
          page.setData({ src: Verify.absolute(body.Url), title: '', message: '' });
        } else {
          page.end(false, Verify.error(ErrorCode.NETWORK_ERROR, `核身服务的回答无法识别（TokenStatus ${body.TokenStatus}）。`, token));
        }
      },
      fail(err) {
        page.end(
          false,
          Verify.error(ErrorCode.NETWORK_ERROR, `网络异常，无法连接核身服务，请检查网络后重试。（${(err && err.errMsg) || ''}）`, token),
        );
      },
    });
  },

  onWebViewLoad(event) {
    const src = event && event.detail && event.detail.src;
    if (!Verify.isReturn(src)) return;
    if (Verify.queryOf(src).verifyDone === '1') {
      this.end(true, { token: this.token, verifyDone: true });
    } else {
      this.end(false, Verify.error(ErrorCode.USER_QUIT, '用户中途退出了人脸核身。', this.token));
    }
  },

  onWebViewError(event) {
    const src = (event && event.detail && (event.detail.src || event.detail.url)) || '';
    this.end(
      false,
      Verify.error(ErrorCode.PAGE_LOAD_FAILED, `核身页面加载失败，请确认核身服务的域名已配置为业务域名。（${src}）`, this.token),
    );
  },

  onUnload() {
    // Leaving by the back button before the end is quitting; an `end` in progress settles itself.
    if (this.ending || !this.job) return;
    Verify.settle(this.job, false, Verify.error(ErrorCode.USER_QUIT, '用户中途退出了人脸核身。', this.token));
  },

  // Back to the page that called wx.startVerify, then success(res) / fail(err).
  end(ok, result) {
    if (this.ending || !this.job || this.job.settled) return;
    this.ending = true;
    const job = this.job;
    wx.navigateBack({
      delta: 1,
      complete() {
        Verify.settle(job, ok, result);
      },
    });
  },
});

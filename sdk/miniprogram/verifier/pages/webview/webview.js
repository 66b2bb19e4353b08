// Hosts heshen's H5 flow in a <web-view>. The flow ends at /mp/v1/return (docs/miniprogram.md);
// its bindload says so, and the verifier goes back: verifyDone when the URL has verifyDone=1
// (errCode for the legacy protocol). Leaving this page first goes back without verifyDone.
const flow = require('../../lib/flow');

Page({
  data: {
    src: '',
  },

  onLoad() {
    const current = getApp().globalData.current;
    this.finished = false;
    if (!current) {
      // Opened without a flow (it is not an entry page): nothing to run.
      this.finished = true;
      flow.back({});
      return;
    }
    this.current = current;
    this.setData({ src: current.url });
  },

  onWebViewLoad(event) {
    const src = event && event.detail && event.detail.src;
    if (this.finished || !flow.isReturn(src)) return;
    this.finished = true;
    flow.back(flow.returned(this.current, flow.queryOf(src)));
  },

  onWebViewError(event) {
    if (this.finished) return;
    this.finished = true;
    const src = (event && event.detail && (event.detail.src || event.detail.url)) || '';
    flow.modal('无法打开核验页面', `核验页面加载失败，请稍后重试。${src ? `（${src}）` : ''}`, () =>
      flow.back(flow.left(this.current)),
    );
  },

  onUnload() {
    // The person pressed back. A page left over from an earlier entry (relaunched by a new
    // one) answers for nothing.
    if (this.finished || !this.current || this.current.session !== flow.session()) return;
    this.finished = true;
    flow.back(flow.left(this.current));
  },
});

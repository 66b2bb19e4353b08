// heshen's verification mini-program. Other mini-programs open it with
// wx.navigateToMiniProgram and a one-time token in extraData (seed 000 / mp_ecard_sdk:
// pages/authPage/auth with {token}; the legacy protocol of seed 003:
// page/component/pages/index/index with {signature, uid, appid}); it runs heshen's H5 flow
// in a <web-view> and goes back with wx.navigateBackMiniProgram.
App({
  globalData: {
    // The options of the entry being served (App.onShow's: scene, referrerInfo.extraData…).
    enter: null,
    // Counts entries: a page left over from an earlier entry must not answer for this one.
    session: 0,
    // The flow the web-view page runs: {kind, token, url, session}.
    current: null,
  },

  onShow(options) {
    const opts = options || {};
    const referrer = opts.referrerInfo || {};
    // A new entry: the first show, or another mini-program opening this one (scene 1037).
    if (this.globalData.session === 0 || opts.scene === 1037 || referrer.extraData) {
      this.globalData.session += 1;
      this.globalData.enter = opts;
    }
  },
});

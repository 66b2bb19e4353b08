// The verification mini-program's only setting: the heshen server it works for.
//
// server: heshen's public base URL (the `public_url` heshen is configured with), https in
// production, no trailing slash needed. In the WeChat admin console (开发管理 → 开发设置)
// add its domain as
//   - request 合法域名 (wx.request: /mp/v1/tokens/…, /mp/v1/legacy/auth), and
//   - 业务域名 (the <web-view> opens heshen's H5 pages on it; upload the check file WeChat
//     gives you to heshen's web root, see ../README.md).
module.exports = {
  server: 'https://heshen.example.com',
};

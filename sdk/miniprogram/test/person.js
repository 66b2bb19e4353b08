'use strict';
// "The person" in the verifier's <web-view>: does over HTTP what heshen's H5 pages and the
// person do in a browser (crates/heshen/tests/h5_http.rs shows the same steps): consent,
// the liveness recording (a real mp4), waiting while it is judged, the result, and the way
// back. Page scripts are not run, so what they do is done here: the upload, the status polling,
// and going to the result and on.

const fs = require('node:fs');

const STEP = /^(.*\/([^/]+))\/(consent|identity|liveness|processing|result|leave|continue)$/;

function where(webView) {
  const url = new URL(webView.url);
  const m = STEP.exec(url.pathname);
  return {
    url,
    path: url.pathname,
    base: m ? `${url.origin}${m[1]}` : null,
    token: m ? m[2] : null,
    step: m ? m[3] : null,
  };
}

function isReturn(url) {
  return new URL(url).pathname.endsWith('/mp/v1/return');
}

function unescapeHtml(text) {
  return text
    .replace(/&#38;|&amp;/g, '&')
    .replace(/&#34;|&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
}

function attribute(html, name) {
  const m = new RegExp(`${name}="([^"]*)"`).exec(html);
  return m ? unescapeHtml(m[1]) : null;
}

// Waits for the web-view's first page (the flow's start, after its redirects).
async function arrive(webView) {
  if (!webView) throw new Error('no <web-view> to act in: the mini-program did not open the flow');
  await webView.loading;
  if (webView.loadError) throw webView.loadError;
  if (!webView.url) throw new Error('the web-view loaded nothing');
  return webView;
}

async function pollJudging(webView, base, { timeoutMs }) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await webView.fetch(`${base}/status`);
    if (res.status !== 200) throw new Error(`GET ${base}/status: HTTP ${res.status} ${res.text}`);
    const status = res.json();
    if (status.state === 'finished') return status;
    if (status.state === 'recording') {
      throw new Error(`the recording was judged a failure (${JSON.stringify(status)}); each take in HESHEN_VIDEOS must pass silent liveness`);
    }
    if (Date.now() > until) throw new Error(`still judging after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 400));
  }
}

// Completes the flow in `webView` with the recording at `video`; resolves once the web-view
// has landed on /mp/v1/return (whose bindload makes the mini-program go back).
// `identity` ({name, idCard}) is typed in when the flow asks for it (a rule whose identity
// is entered by the person); without it, being asked is an error.
async function complete(webView, { video, identity, timeoutMs = 150000 } = {}) {
  await arrive(webView);
  const bytes = fs.readFileSync(video);
  const visited = [];
  let typed = false;
  for (let guard = 0; guard < 20; guard += 1) {
    visited.push(webView.url);
    if (isReturn(webView.url)) return { visited, returnUrl: webView.url };
    const at = where(webView);
    if (webView.status !== 200) {
      throw new Error(`the web-view shows HTTP ${webView.status} at ${webView.url}: ${webView.html.slice(0, 400)}`);
    }
    switch (at.step) {
      case 'consent':
        await webView.submit(`${at.base}/consent`, { agree: 'yes' });
        break;
      case 'identity':
        if (identity && !typed) {
          typed = true;
          await webView.submit(`${at.base}/identity`, { name: identity.name, id_card: identity.idCard });
          break;
        }
        if (identity) {
          const why = /data-testid="identity-error"[^>]*>([^<]*)</.exec(webView.html);
          throw new Error(`the identity typed in was refused: ${why ? why[1] : webView.html.slice(0, 400)}`);
        }
        throw new Error(
          `the flow asks for the identity (${webView.url}): the token was made with IdCard/Name of the enrolled person, ` +
            'so the rule should not ask; check HESHEN_RULE_ID / HESHEN_MERCHANT_ID',
        );
      case 'liveness': {
        const upload = attribute(webView.html, 'data-upload');
        if (!upload) throw new Error(`the liveness page names no data-upload: ${webView.html.slice(0, 400)}`);
        const sent = await webView.fetch(upload, {
          method: 'POST',
          headers: { 'Content-Type': 'video/mp4' },
          body: bytes,
        });
        if (sent.status !== 202) throw new Error(`POST ${upload}: HTTP ${sent.status} ${sent.text}`);
        await pollJudging(webView, at.base, { timeoutMs });
        await webView.navigate(`${at.base}/result`);
        break;
      }
      case 'processing':
        await pollJudging(webView, at.base, { timeoutMs });
        await webView.navigate(`${at.base}/result`);
        break;
      case 'result':
        await webView.navigate(`${at.base}/continue`);
        break;
      default:
        throw new Error(`the person does not know what to do at ${webView.url}: ${webView.html.slice(0, 400)}`);
    }
  }
  throw new Error(`the flow did not end: ${visited.join(' → ')}`);
}

// The way out the H5 flow offers (/…/leave), then its "back" link (to /mp/v1/return).
async function leave(webView) {
  await arrive(webView);
  const at = where(webView);
  if (!at.base) throw new Error(`not on a flow page: ${webView.url}`);
  await webView.navigate(`${at.base}/leave`);
  const m = /data-testid="left-continue"[^>]*href="([^"]*)"|href="([^"]*)"[^>]*data-testid="left-continue"/.exec(webView.html);
  if (!m) throw new Error(`the leave page has no way back (data-testid="left-continue"): ${webView.html.slice(0, 600)}`);
  const href = unescapeHtml(m[1] || m[2]);
  await webView.navigate(href);
  return webView.url;
}

module.exports = { complete, leave, arrive, where, isReturn, attribute };

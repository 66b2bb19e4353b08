// heshen web SDK: opens a verification over the integrator's page and reports how it ended.
//
//   <script src="https://heshen.example/sdk/heshen.js"></script>
//   Heshen.open(detectAuthUrl, { onResult: ({ token, code, passed }) => …, onClose: () => … });
//
// The flow runs in a full-screen frame served by heshen. Its end is told by a message that
// heshen sends only to the origin of the flow's RedirectUrl, and that this script accepts only
// from heshen's origin and that frame. Verify the result on your server
// (GetDetectInfoEnhanced) before acting on it: a page can be tampered with, the API cannot.
(function () {
  'use strict';

  function open(url, options) {
    var opts = options || {};
    var flowOrigin = new URL(url, window.location.href).origin;
    var overlay = document.createElement('div');
    overlay.setAttribute('data-heshen', 'overlay');
    overlay.setAttribute('role', 'dialog');
    overlay.setAttribute('aria-modal', 'true');
    overlay.style.cssText = 'position:fixed;inset:0;z-index:2147483647;background:rgba(0,0,0,.55);display:flex;flex-direction:column;align-items:center;justify-content:flex-end';
    var frame = document.createElement('iframe');
    frame.setAttribute('data-heshen', 'frame');
    frame.setAttribute('allow', 'camera; microphone; autoplay');
    frame.setAttribute('title', opts.title || 'Identity verification');
    frame.src = url + (url.indexOf('?') >= 0 ? '&' : '?') + 'embed=1';
    // The close button sits in a bar of its own above the frame, never over the flow's controls.
    frame.style.cssText = 'width:100%;height:calc(100% - 44px);max-width:480px;max-height:900px;border:0;background:#fff;border-radius:12px 12px 0 0';
    var close = document.createElement('button');
    close.type = 'button';
    close.setAttribute('data-heshen', 'close');
    close.setAttribute('aria-label', opts.closeLabel || 'Close');
    close.textContent = '×';
    close.style.cssText = 'position:absolute;top:4px;right:12px;width:36px;height:36px;font-size:28px;line-height:36px;background:none;border:0;color:#fff;cursor:pointer';
    overlay.appendChild(frame);
    overlay.appendChild(close);
    document.body.appendChild(overlay);

    function finish() {
      window.removeEventListener('message', onMessage);
      if (overlay.parentNode) overlay.parentNode.removeChild(overlay);
    }
    function onMessage(event) {
      if (event.origin !== flowOrigin || event.source !== frame.contentWindow) return;
      var data = event.data || {};
      if (data.type !== 'heshen:result') return;
      finish();
      if (opts.onResult) opts.onResult({ token: data.token, code: data.code, passed: data.code === 0 });
    }
    window.addEventListener('message', onMessage);
    close.addEventListener('click', function () {
      finish();
      if (opts.onClose) opts.onClose();
    });
    return { close: finish };
  }

  window.Heshen = { open: open };
})();

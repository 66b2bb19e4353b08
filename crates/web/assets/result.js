// In the overlay (the flow framed by the integrator's page through /sdk/heshen.js), "done"
// tells the integrator's page instead of navigating the frame. The message goes only to the
// origin of the flow's RedirectUrl.
const script = document.querySelector('script[data-parent-origin]');
const cfg = script.dataset;
const done = document.querySelector('a[data-testid="result-continue"]');
if (done && window.parent !== window && cfg.parentOrigin) {
  done.addEventListener('click', (event) => {
    event.preventDefault();
    window.parent.postMessage(
      { type: 'heshen:result', token: cfg.token, code: Number(cfg.code) },
      cfg.parentOrigin,
    );
  });
}

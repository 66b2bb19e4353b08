// Waits for the server to judge the recording, then shows the result.
const script = document.currentScript || document.querySelector('script[data-status]');
const cfg = script.dataset;

// The server has the recording: the copy the liveness page kept against a reload goes.
if (window.indexedDB) indexedDB.deleteDatabase('heshen-recordings');

async function poll() {
  try {
    const response = await fetch(cfg.status, { cache: 'no-store' });
    if (response.ok) {
      const status = await response.json();
      if (status.state !== 'judging') {
        window.location.assign(cfg.result);
        return;
      }
    }
  } catch (_) {
    // The network dropped for a moment: keep waiting.
  }
  setTimeout(poll, 1000);
}

poll();

// Records the liveness challenge the server issued and uploads it. The page never judges
// the recording: the server does, from the video alone.
const script = document.currentScript || document.querySelector('script[data-upload]');
const cfg = script.dataset;
const $ = (id) => document.querySelector(`[data-testid="${id}"]`);
const video = document.getElementById('preview');
const start = $('liveness-start');
const prompt = $('liveness-prompt');
const digits = $('liveness-digits');
const progress = $('upload-progress');
const problem = $('camera-error');
const fallback = $('liveness-upload');
const screen = $('flash-screen');

// iOS Safari records MP4/H.264; Chrome and Firefox WebM.
const TYPES = [
  'video/mp4;codecs=avc1',
  'video/mp4',
  'video/webm;codecs=vp9,opus',
  'video/webm;codecs=vp8,opus',
  'video/webm',
];

function say(text) {
  prompt.textContent = text;
}

function fail(text) {
  problem.textContent = text;
  problem.hidden = false;
  start.disabled = false;
  if (fallback) fallback.hidden = false;
}

function recorderType() {
  if (typeof MediaRecorder === 'undefined') return null;
  return TYPES.find((t) => MediaRecorder.isTypeSupported(t)) || null;
}

// `onStart(t0)` runs when the recorder has started, with its clock origin.
function record(stream, type, ms, onStart) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    const recorder = new MediaRecorder(stream, { mimeType: type, videoBitsPerSecond: 1_200_000 });
    recorder.ondataavailable = (e) => { if (e.data && e.data.size) chunks.push(e.data); };
    recorder.onerror = (e) => reject(e.error || new Error('recorder error'));
    recorder.onstop = () => resolve(new Blob(chunks, { type }));
    recorder.onstart = () => { if (onStart) onStart(performance.now()); };
    recorder.start(250);
    setTimeout(() => recorder.state !== 'inactive' && recorder.stop(), ms);
  });
}

// Fills the screen with each colour in turn from `t0` (after the lead-in) and reports, for
// each, when it was painted (ms since t0): the server compares that with the light on the face.
function flashColours(t0) {
  const colours = cfg.colours.split('|');
  const each = Number(cfg.colourMs);
  const lead = Number(cfg.leadIn);
  const shown = [];
  document.body.classList.add('flashing');
  screen.hidden = false;
  return new Promise((resolve) => {
    colours.forEach((colour, i) => {
      setTimeout(() => {
        screen.style.background = colour;
        // The colour is on screen at the frame after the one it was set in.
        requestAnimationFrame(() => requestAnimationFrame(() => {
          shown[i] = Math.round(performance.now() - t0);
        }));
      }, lead + i * each);
    });
    setTimeout(() => {
      screen.hidden = true;
      screen.style.background = '';
      document.body.classList.remove('flashing');
      resolve(shown);
    }, lead + colours.length * each);
  });
}

// The recording goes up in parts: when a phone's connection breaks off, the page asks the
// server which parts arrived and sends only the rest.
const partBytes = Number(cfg.partBytes) || 256 * 1024;
const parts = `${cfg.upload}/parts`;

function send(method, url, body, headers, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    Object.entries(headers || {}).forEach(([k, v]) => xhr.setRequestHeader(k, v));
    if (onProgress) {
      xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded); };
    }
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(JSON.parse(xhr.responseText || '{}'));
      else reject(new Error(xhr.responseText || String(xhr.status)));
    };
    xhr.onerror = () => reject(new Error('network'));
    xhr.send(body);
  });
}

async function sendParts(blob, shown, received) {
  const count = Math.max(1, Math.ceil(blob.size / partBytes));
  const type = blob.type.split(';')[0] || 'video/webm';
  const sizeOf = (i) => Math.min(partBytes, blob.size - i * partBytes);
  let done = 0;
  for (let i = 0; i < count; i += 1) if (received.has(i)) done += sizeOf(i);
  const show = (bytes) => { progress.value = Math.round((100 * bytes) / Math.max(1, blob.size)); };
  show(done);
  for (let i = 0; i < count; i += 1) {
    if (received.has(i)) continue;
    const part = blob.slice(i * partBytes, i * partBytes + sizeOf(i));
    await send('PUT', `${parts}/${i}`, part, { 'Content-Type': type }, (n) => show(done + n));
    received.add(i);
    done += sizeOf(i);
    show(done);
  }
  const headers = { 'Content-Type': 'application/json' };
  if (shown) headers['X-Heshen-Flash-Shown'] = shown.join(',');
  const answer = await send('POST', parts, JSON.stringify({ parts: count }), headers);
  progress.value = 100;
  return answer;
}

async function heldParts() {
  const held = await send('GET', parts);
  return new Set(held.parts);
}

// `resumed`: parts of this recording may have gone up before the page was reloaded.
async function uploadWithRetry(blob, shown, resumed) {
  progress.hidden = false;
  progress.value = 0;
  let received = resumed ? await heldParts().catch(() => new Set()) : new Set();
  let last;
  for (let i = 0; i < 4; i += 1) {
    try {
      return await sendParts(blob, shown, received);
    } catch (e) {
      last = e;
      // A refusal (used challenge, too large) will not change on retry.
      if (e.message !== 'network') break;
      await new Promise((r) => setTimeout(r, 1000 * (i + 1)));
      // Still offline, the next round asks again.
      received = await heldParts().catch(() => received);
    }
  }
  throw last;
}

// A recording waiting to go up outlives a reload of the page: the browser keeps it
// (IndexedDB) under its challenge's upload path until the server has taken it or refused it,
// then erases it. A recording kept for any other challenge is erased on sight.
const KEEP_MS = 2 * 60 * 60 * 1000; // a BizToken lives 7,200 s
const kept = {
  db: null,
  open() {
    if (!this.db) {
      this.db = new Promise((resolve, reject) => {
        if (!window.indexedDB) throw new Error('no IndexedDB');
        const request = indexedDB.open('heshen-recordings', 1);
        request.onupgradeneeded = () => request.result.createObjectStore('pending');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    return this.db;
  },
  // Runs `work(store)` in one transaction; resolves with its request's result.
  async run(mode, work) {
    const db = await this.open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction('pending', mode);
      const request = work(tx.objectStore('pending'));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  },
  save(blob, shown) {
    const entry = { blob, shown, at: Date.now() };
    return this.run('readwrite', (s) => s.put(entry, cfg.upload)).catch(() => {});
  },
  forget() {
    return this.run('readwrite', (s) => s.delete(cfg.upload)).catch(() => {});
  },
  // This challenge's kept recording, if any; every other one is erased in the same transaction.
  async take() {
    try {
      const entry = await this.run('readwrite', (s) => {
        s.getAllKeys().onsuccess = (e) => {
          e.target.result.filter((k) => k !== cfg.upload).forEach((k) => s.delete(k));
        };
        return s.get(cfg.upload);
      });
      if (entry && entry.blob && entry.blob.size && Date.now() - entry.at < KEEP_MS) return entry;
      if (entry) await this.forget();
    } catch (_) { /* no storage here (a private window): nothing was kept */ }
    return null;
  },
};

// The recording the server has not taken yet, when the network lost it.
let pending = null;

function hold(recording) {
  pending = recording;
  start.textContent = recording ? cfg.resume : startLabel;
}

async function upload(blob, shown, resumed) {
  try {
    const answer = await uploadWithRetry(blob, shown, resumed);
    hold(null);
    await kept.forget();
    window.location.assign(answer.next || cfg.next);
  } catch (err) {
    const offline = err && err.message === 'network';
    hold(offline ? { blob, shown } : null);
    if (!offline) await kept.forget();
    throw err;
  }
}

function uploadProblem(err) {
  if (err && err.message && err.message.startsWith('{')) {
    try {
      return JSON.parse(err.message).error.message;
    } catch (_) { /* not the server's error: below */ }
  }
  return err && err.message === 'network' ? cfg.uploadFailed : cfg.unsupported;
}

async function resume() {
  const { blob, shown } = pending;
  start.disabled = true;
  problem.hidden = true;
  if (digits) digits.hidden = true;
  say(cfg.resuming);
  try {
    await upload(blob, shown, true);
  } catch (err) {
    fail(uploadProblem(err));
  }
}

function cameraProblem(err) {
  const name = err && err.name;
  if (name === 'NotAllowedError' || name === 'SecurityError') return cfg.denied;
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return cfg.missing;
  return cfg.unsupported;
}

function promptSchedule() {
  const seconds = Number(cfg.seconds);
  if (cfg.kind === 'action') {
    const prompts = cfg.prompts.split('|');
    const slot = (seconds * 1000) / prompts.length;
    return prompts.map((text, i) => [i * slot, text]);
  }
  if (cfg.kind === 'digits') return [[0, cfg.digitsPrompt]];
  if (cfg.kind === 'flash') return [[0, cfg.flashPrompt]];
  return [[0, cfg.silent]];
}

async function run() {
  start.disabled = true;
  problem.hidden = true;
  if (/MicroMessenger/i.test(navigator.userAgent) && !(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) {
    fail(cfg.wechat);
    return;
  }
  const type = recorderType();
  if (!type || !(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) {
    fail(cfg.unsupported);
    return;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: 'user', width: { ideal: 640 }, height: { ideal: 480 } },
      audio: cfg.kind === 'digits',
    });
  } catch (err) {
    fail(cameraProblem(err));
    return;
  }
  video.srcObject = stream;
  await video.play().catch(() => {});
  try {
    // Some encoders produce nothing without an error: a short probe catches them.
    const probe = await record(stream, type, 400);
    if (!probe.size) throw new Error('empty probe');
    if (digits) digits.hidden = false;
    const schedule = promptSchedule();
    schedule.forEach(([at, text]) => setTimeout(() => say(text), at));
    document.body.classList.add('recording');
    let flashed = null;
    const blob = await record(stream, type, Number(cfg.seconds) * 1000, (t0) => {
      if (cfg.kind === 'flash') flashed = flashColours(t0);
    });
    document.body.classList.remove('recording');
    stream.getTracks().forEach((t) => t.stop());
    if (!blob.size) throw new Error('empty recording');
    const shown = flashed ? await flashed : null;
    say(cfg.uploading);
    await kept.save(blob, shown);
    await upload(blob, shown, false);
  } catch (err) {
    stream.getTracks().forEach((t) => t.stop());
    document.body.classList.remove('recording', 'flashing');
    if (screen) screen.hidden = true;
    fail(uploadProblem(err));
  }
}

const startLabel = start.textContent;
start.addEventListener('click', () => (pending ? resume() : run()));
kept.take().then((entry) => {
  if (!entry || pending) return;
  hold(entry);
  resume();
});

const fileInput = $('liveness-upload-input');
if (fileInput) {
  fileInput.addEventListener('change', async () => {
    const file = fileInput.files && fileInput.files[0];
    if (!file) return;
    try {
      await upload(file, null, false);
    } catch (_) {
      fail(cfg.uploadFailed);
    }
  });
}

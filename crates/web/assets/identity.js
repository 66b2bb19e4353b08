// Sends each ID-card side to the server for OCR and fills the form with what it read.
const script = document.currentScript || document.querySelector('script[data-reading]');
const cfg = script.dataset;
const field = (id) => document.querySelector(`[data-testid="${id}"]`);

async function read(input) {
  const side = input.dataset.side;
  const status = field(`idcard-${side}-status`);
  const file = input.files && input.files[0];
  if (!file) return;
  status.textContent = cfg.reading;
  try {
    const response = await fetch(`${cfg.base}/identity/card/${side}`, {
      method: 'POST',
      headers: { 'Content-Type': file.type || 'application/octet-stream' },
      body: file,
    });
    const answer = await response.json();
    if (!response.ok) {
      status.textContent = (answer.error && answer.error.message) || cfg.failed;
      status.dataset.state = 'error';
      return;
    }
    status.textContent = answer.message;
    status.dataset.state = 'read';
    if (answer.name) field('identity-name').value = answer.name;
    if (answer.idCard) field('identity-idcard').value = answer.idCard;
  } catch (_) {
    status.textContent = cfg.failed;
    status.dataset.state = 'error';
  }
}

for (const side of ['front', 'back']) {
  const input = field(`idcard-${side}-input`);
  input.addEventListener('change', () => read(input));
}

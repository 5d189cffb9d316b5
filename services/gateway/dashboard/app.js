// The status page: polls /dashboard/data every second and renders the cluster and recent requests.

const POLL_MS = 1000;

/** A table cell with text (never HTML, so ids and names cannot inject markup). */
function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text === undefined || text === null ? '–' : String(text);
  if (className) td.className = className;
  return td;
}

function fixed(value, digits) {
  return typeof value === 'number' ? value.toFixed(digits) : undefined;
}

function meterCell(fraction) {
  const td = document.createElement('td');
  if (typeof fraction !== 'number') {
    td.textContent = '–';
    return td;
  }
  const meter = document.createElement('span');
  meter.className = 'meter';
  const fill = document.createElement('span');
  fill.style.width = `${Math.round(fraction * 100)}%`;
  meter.appendChild(fill);
  td.append(meter, `${(fraction * 100).toFixed(1)}%`);
  return td;
}

function renderInstances(instances) {
  const body = document.querySelector('#instances tbody');
  body.replaceChildren(
    ...instances.map((i) => {
      const tr = document.createElement('tr');
      tr.dataset.instance = i.id;
      const free = i.numFreeBlocks === undefined ? undefined : `${i.numFreeBlocks} / ${i.numBlocks ?? '?'}`;
      tr.append(
        cell(i.id),
        cell(i.role),
        cell(i.host === undefined ? undefined : `${i.host}:${i.pid ?? ''}`),
        cell(i.numRunning, 'num'),
        cell(i.numWaiting, 'num'),
        meterCell(i.kvUsage),
        cell(free, 'num'),
        cell(fixed(i.prefillTokensPerS, 0), 'num'),
        cell(i.ageMs === undefined ? undefined : `${Math.round(i.ageMs)} ms ago`, 'num'),
      );
      return tr;
    }),
  );
  document.getElementById('no-instances').hidden = instances.length > 0;
}

function renderSlo(stats) {
  document.getElementById('slo-section').hidden = stats.length === 0;
  document.querySelector('#slo tbody').replaceChildren(
    ...stats.map((s) => {
      const tr = document.createElement('tr');
      tr.append(
        cell(s.model),
        cell(s.sloClass),
        cell(`${(s.attainment * 100).toFixed(1)}%`, 'num'),
        cell(fixed(s.goodput, 2), 'num'),
      );
      return tr;
    }),
  );
}

/** The time split bar, scaled so `scaleMs` fills the column. */
function barCell(request, scaleMs) {
  const td = document.createElement('td');
  const bar = document.createElement('div');
  bar.className = 'bar';
  bar.style.width = `${Math.max(1, (100 * request.totalMs) / scaleMs)}%`;
  for (const s of request.segments) {
    const seg = document.createElement('span');
    seg.className = s.phase;
    seg.dataset.phase = s.phase;
    seg.style.width = `${(100 * s.durationMs) / Math.max(request.totalMs, 0.001)}%`;
    seg.title = `${s.phase}: ${s.durationMs.toFixed(1)} ms`;
    bar.appendChild(seg);
  }
  td.appendChild(bar);
  return td;
}

function instancesText(r) {
  if (r.prefillInstance) return `${r.prefillInstance} → ${r.decodeInstance}`;
  return r.decodeInstance;
}

function renderRequests(requests) {
  const scaleMs = Math.max(1, ...requests.map((r) => r.totalMs));
  document.querySelector('#requests tbody').replaceChildren(
    ...requests.map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.requestId = r.requestId;
      tr.dataset.status = r.status;
      const tokens =
        r.promptTokens === undefined ? undefined : `${r.promptTokens} / ${r.completionTokens ?? 0}`;
      const transfer = r.transfer
        ? ` (KV ${r.transfer.blocks} blocks, ${r.transfer.bytes} B over ${r.transfer.transport})`
        : '';
      tr.title = `trace ${r.traceId}${transfer}`;
      tr.append(
        cell(r.requestId),
        cell(r.status, `status-${r.status}`),
        cell(r.mode),
        cell(instancesText(r)),
        cell(tokens, 'num'),
        cell(fixed(r.ttftMs, 1), 'num'),
        cell(r.totalMs.toFixed(1), 'num'),
        barCell(r, scaleMs),
      );
      return tr;
    }),
  );
  document.getElementById('no-requests').hidden = requests.length > 0;
}

function render(data) {
  const health = document.getElementById('health');
  health.textContent = data.healthy ? 'serving' : 'unavailable';
  health.className = `badge ${data.healthy ? 'ok' : 'bad'}`;
  document.getElementById('models').textContent = data.models.map((m) => m.name).join(', ');
  document.getElementById('updated').textContent =
    `updated ${new Date(data.generatedAtMs).toLocaleTimeString()}`;
  renderInstances(data.instances);
  renderSlo(data.slo);
  renderRequests(data.requests);
  document.body.dataset.loaded = 'true';
}

async function poll() {
  try {
    const res = await fetch('/dashboard/data', { cache: 'no-store' });
    if (res.ok) render(await res.json());
  } catch {
    const health = document.getElementById('health');
    health.textContent = 'gateway unreachable';
    health.className = 'badge bad';
  }
  setTimeout(poll, POLL_MS);
}

poll();

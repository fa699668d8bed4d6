// Caravan's status page: fetches /api/v1/status with the token given after '#token=' in the
// address (never sent to the server in the URL, so never in a log) and draws it, every 10 s.
'use strict';
const COLORS = { accepted: '#1f77b4', delivered: '#2ca02c', bounced: '#d62728', waiting: '#ff7f0e' };
const token = new URLSearchParams(location.hash.slice(1)).get('token') || '';

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
}

function fill(id, rows, columns) {
  const body = document.querySelector('#' + id + ' tbody');
  body.replaceChildren();
  for (const r of rows) {
    const tr = body.insertRow();
    for (const [value, cls] of columns(r)) cell(tr, value, cls);
  }
}

function age(seconds) {
  if (seconds < 0) return '';
  if (seconds < 120) return Math.round(seconds) + ' s';
  if (seconds < 7200) return Math.round(seconds / 60) + ' min';
  return Math.round(seconds / 3600) + ' h';
}

function draw(history) {
  const canvas = document.getElementById('chart');
  const g = canvas.getContext('2d');
  const w = canvas.width, h = canvas.height, left = 50, bottom = 24, top = 10, right = 50;
  g.clearRect(0, 0, w, h);
  const per = history.map(m => Math.max(m.accepted, m.delivered + m.bounced));
  const waits = history.map(m => m.waiting);
  const maxCount = Math.max(1, ...per);
  const maxWait = Math.max(1, ...waits);
  const slot = (w - left - right) / history.length;
  const y = (v, max) => h - bottom - (h - bottom - top) * v / max;
  g.strokeStyle = '#999'; g.fillStyle = '#444'; g.font = '11px sans-serif';
  g.beginPath(); g.moveTo(left, top); g.lineTo(left, h - bottom); g.lineTo(w - right, h - bottom); g.stroke();
  g.fillText(String(maxCount), 4, top + 10); g.fillText('0', 4, h - bottom);
  g.fillText(String(maxWait), w - right + 4, top + 10);
  g.fillText('-60 min', left, h - 6); g.fillText('now', w - right - 20, h - 6);
  history.forEach((m, i) => {
    const x = left + i * slot;
    const bw = Math.max(1, slot / 2 - 1);
    g.fillStyle = COLORS.accepted;
    g.fillRect(x + 1, y(m.accepted, maxCount), bw, h - bottom - y(m.accepted, maxCount));
    g.fillStyle = COLORS.delivered;
    g.fillRect(x + 1 + bw, y(m.delivered, maxCount), bw, h - bottom - y(m.delivered, maxCount));
    if (m.bounced > 0) {
      g.fillStyle = COLORS.bounced;
      g.fillRect(x + 1 + bw, y(m.delivered + m.bounced, maxCount), bw, y(m.delivered, maxCount) - y(m.delivered + m.bounced, maxCount));
    }
  });
  g.strokeStyle = COLORS.waiting; g.lineWidth = 2; g.beginPath();
  let started = false;
  history.forEach((m, i) => {
    if (m.waiting < 0) return;
    const x = left + i * slot + slot / 2, yy = y(m.waiting, maxWait);
    if (started) g.lineTo(x, yy); else { g.moveTo(x, yy); started = true; }
  });
  g.stroke(); g.lineWidth = 1;
  g.fillStyle = COLORS.waiting;
  history.forEach((m, i) => {
    if (m.waiting < 0) return;
    g.beginPath(); g.arc(left + i * slot + slot / 2, y(m.waiting, maxWait), 3, 0, 2 * Math.PI); g.fill();
  });
}

async function refresh() {
  const problem = document.getElementById('problem');
  try {
    const r = await fetch('/api/v1/status', { headers: { Authorization: 'Bearer ' + token } });
    if (!r.ok) throw new Error(r.status === 401 ? 'the token is missing or wrong: open this page as /status#token=...' : 'HTTP ' + r.status);
    const s = await r.json();
    problem.hidden = true;
    document.getElementById('router').textContent = s.router;
    document.getElementById('updated').textContent = 'as of ' + new Date(s.time).toLocaleString();
    draw(s.history);
    fill('listeners', s.listeners, l => [[l.name], [l.port], [l.state, l.state === 'Started' || l.state === 'off' ? '' : 'down'], [l.sessions]]);
    fill('queues', s.queues, q => [[q.queue], [q.messages], [q.scheduled], [q.oldest_age_seconds > 0 ? age(q.oldest_age_seconds) : '']]);
    fill('deferred', s.oldest_deferred, d => [[d.queue_id], [new Date(d.arrival).toLocaleString()], [d.recipients.join(', ')],
      [d.next_attempt ? new Date(d.next_attempt).toLocaleString() : ''], [d.last_error, 'error']]);
  } catch (e) {
    problem.textContent = 'Cannot read the status: ' + e.message;
    problem.hidden = false;
  }
}

refresh();
setInterval(refresh, 10000);

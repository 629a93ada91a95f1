// Warm keystroke latency of the search box in real headless Chromium: for every keystroke of each
// query, the time from the moment the box's 60 ms debounce fires until the results are in the page
// with style and layout done (engine + rendering; the debounce itself is a choice, not work), and
// until the next frame has been rendered on the main thread (paint and commit included). That last
// figure also holds the wait for the frame clock (up to 16.7 ms at 60 Hz, phase-locked to the
// typing loop here), so a third line adds up work only: fired → laid out, plus the frame from its
// requestAnimationFrame callback to its end, leaving out the idle wait between them.
// Pass 1 types every query once (loading the shards it needs); pass 2 types them again and is the
// "warm" figure.
//
// Usage: node --experimental-websocket bench/search-keystroke.mjs URL [query...]
//   URL: a page of a built site served over HTTP, e.g. `python3 -m http.server -d public 8000` and
//   http://127.0.0.1:8000/index.html. CHROMIUM overrides /usr/bin/chromium. TRACE=1 records the warm
//   pass with CDP tracing and prints where each keystroke's frame went (tracing slows Chromium's
//   layout on big pages, so the timings above are then higher than without it).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [url, ...args] = process.argv.slice(2);
if (!url) { console.error('usage: search-keystroke.mjs URL [query...]'); process.exit(2); }
const queries = args.length ? args : ['bucket policy', 's3:PutObject', 'lifecycle rules', 'encryption at rest', 'access point'];

const profile = mkdtempSync(join(tmpdir(), 'ns-keystroke-'));
const chrome = spawn(process.env.CHROMIUM || '/usr/bin/chromium', [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank',
], { stdio: ['ignore', 'ignore', 'pipe'] });
const wsUrl = await new Promise((resolve, reject) => {
  let err = '';
  chrome.stderr.on('data', (d) => {
    err += d;
    const m = /DevTools listening on (ws:\S+)/.exec(err);
    if (m) resolve(m[1]);
  });
  chrome.once('exit', () => reject(new Error('chromium exited: ' + err)));
});

const ws = new WebSocket(wsUrl);
await new Promise((r) => ws.addEventListener('open', r));
let nextId = 0;
const pending = new Map();
const traced = [];
let traceDone;
ws.addEventListener('message', (e) => {
  const msg = JSON.parse(e.data);
  if (msg.method === 'Tracing.dataCollected') traced.push(...msg.params.value);
  if (msg.method === 'Tracing.tracingComplete') traceDone();
  const p = pending.get(msg.id);
  if (!p) return;
  pending.delete(msg.id);
  if (msg.error) p.reject(new Error(JSON.stringify(msg.error)));
  else p.resolve(msg.result);
});
const send = (method, params = {}, sessionId) => new Promise((resolve, reject) => {
  const id = ++nextId;
  pending.set(id, { resolve, reject });
  ws.send(JSON.stringify({ id, method, params, sessionId }));
});

const { targetId } = await send('Target.createTarget', { url });
const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
const evaluate = async (expression) => {
  const r = await send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, sessionId);
  if (r.exceptionDetails) throw new Error(r.exceptionDetails.exception?.description || r.exceptionDetails.text);
  return r.result.value;
};
for (let i = 0; ; i++) {
  if (await evaluate("document.readyState === 'complete' && !!document.getElementById('search-input')")) break;
  if (i > 200) throw new Error('page did not load: ' + url);
  await new Promise((r) => setTimeout(r, 50));
}

// Runs in the page: wraps setTimeout to see when the debounce fires, and defines window.__pass, which
// types each prefix of each query and waits for the popup to change and the next frame to be painted.
// The performance marks are for TRACE.
const setup = `(async (queries) => {
  const input = document.getElementById('search-input');
  const original = window.setTimeout;
  window.setTimeout = (f, ms, ...rest) => original(() => { if (ms === 60) { window.__fired = performance.now(); performance.mark('fired'); } f(); }, ms, ...rest);
  input.focus();
  for (let i = 0; i < 200 && !document.querySelector('.search-popup'); i++) await new Promise((r) => original(r, 25));
  const pop = document.querySelector('.search-popup');
  if (!pop) throw new Error('the search popup never appeared');
  // Resolves with the frame's own time: from its rAF callback (frame start, after any vsync wait)
  // to the first task after it (paint and commit done).
  const frame = () => new Promise((r) => requestAnimationFrame(() => { const t = performance.now(); performance.mark('raf'); original(() => r(performance.now() - t), 0); }));
  const changed = () => new Promise((r) => { const mo = new MutationObserver(() => { mo.disconnect(); r(); }); mo.observe(pop, { childList: true, subtree: true, characterData: true }); });
  const pass = async () => {
    const times = [];
    for (const q of queries) {
      for (let n = 1; n <= q.length; n++) {
        const done = changed();
        input.value = q.slice(0, n);
        input.dispatchEvent(new Event('input', { bubbles: true }));
        await done;
        // "Loading the index…" comes first on a cold query: wait for the results themselves.
        while (pop.querySelector('.sr-status') && /Loading/.test(pop.textContent)) await changed();
        void pop.offsetHeight; // style and layout, done now rather than at the next frame
        performance.mark('laidout');
        const laidOut = performance.now() - window.__fired;
        const own = await frame();
        times.push([laidOut, performance.now() - window.__fired, laidOut + own]);
      }
    }
    return times;
  };
  window.__pass = async () => ({ times: await pass(), results: pop.querySelectorAll('a').length });
  return true;
})(${JSON.stringify(queries)})`;
await evaluate(setup);
const { times: first } = await evaluate('__pass()');
if (process.env.TRACE) {
  const categories = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink', 'blink.user_timing', 'cc', 'v8.gc', 'toplevel'];
  await send('Tracing.start', { categories: categories.join(','), transferMode: 'ReportEvents' });
}
const { times: warm, results } = await evaluate('__pass()');
if (process.env.TRACE) {
  const done = new Promise((r) => (traceDone = r));
  await send('Tracing.end');
  await done;
}
const stats = (t) => {
  const s = [...t].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return `p50 ${at(0.5).toFixed(1)} ms, p95 ${at(0.95).toFixed(1)} ms, max ${s[s.length - 1].toFixed(1)} ms (${s.length} keystrokes)`;
};
console.log(`queries: ${queries.map((q) => JSON.stringify(q)).join(', ')}; links in the last popup: ${results}`);
const col = (t, i) => t.map((x) => x[i]);
console.log(`first pass (shards loading), to laid out: ${stats(col(first, 0))}`);
console.log(`warm pass, to laid out:                   ${stats(col(warm, 0))}`);
console.log(`warm pass, to the next frame:             ${stats(col(warm, 1))}`);
console.log(`warm pass, work (no wait for the frame):  ${stats(col(warm, 2))}`);
if (process.env.TRACE) breakdown(traced);
ws.close();
const exited = new Promise((r) => chrome.once('exit', r));
chrome.kill();
await exited;
rmSync(profile, { recursive: true, force: true });

// Per warm keystroke, from the trace of the page's main thread: the frame that followed the results
// (BeginMainFrame, and its CompositingInputs and Paint phases), the forced style and layout, and V8's
// garbage collections between the debounce firing and the frame's end.
function breakdown(events) {
  const marks = events.filter((e) => e.cat === 'blink.user_timing').sort((a, b) => a.ts - b.ts);
  if (!marks.length) return console.log('trace: no marks recorded');
  const thread = (e) => e.pid + ':' + e.tid, main = thread(marks[0]);
  const slices = events.filter((e) => e.ph === 'X' && thread(e) === main);
  const rows = { frame: [], compositingInputs: [], paint: [], forcedStyleLayout: [], gc: [] };
  for (let i = 0; i < marks.length; i++) {
    if (marks[i].name !== 'fired') continue;
    const at = {};
    for (let j = i + 1; j < marks.length && marks[j].name !== 'fired'; j++) at[marks[j].name] = marks[j].ts;
    const from = marks[i].ts, to = at.raf;
    const frame = slices.find((e) => e.name === 'ProxyMain::BeginMainFrame' && e.ts <= to && e.ts + e.dur >= to);
    if (!frame) continue;
    // Slices from the debounce firing to the end of that frame.
    const sum = (re) => slices.filter((e) => re.test(e.name) && e.ts >= from && e.ts + e.dur <= frame.ts + frame.dur).reduce((n, e) => n + e.dur / 1000, 0);
    rows.frame.push(frame.dur / 1000);
    rows.compositingInputs.push(sum(/^Blink\.CompositingInputs\.UpdateTime$/));
    rows.paint.push(sum(/^Blink\.Paint\.UpdateTime$/));
    rows.forcedStyleLayout.push(sum(/^Blink\.ForcedStyleAndLayout\.UpdateTime$/));
    rows.gc.push(sum(/^(MinorGC|MajorGC)$/));
  }
  for (const [name, t] of Object.entries(rows)) console.log(`trace, warm pass, ${name}: ${stats(t)}, total ${t.reduce((a, b) => a + b, 0).toFixed(1)} ms`);
}

// Bytes a cold first query transfers, per engine, for each query given (run by search-compare.sh).
// "raw" is the bytes of the files loaded; "gz" is what a compressing server sends (gzip -9; files that
// are already gzipped, as Pagefind's are, count as they are). Also prints index bytes on disk.
// Usage: node bench/search-cold.cjs notesite|mdbook|pagefind <dir> queries...
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { performance } = require('node:perf_hooks');

const [engine, dir, ...queries] = process.argv.slice(2);
const gzSize = (buf) => (buf[0] === 0x1f && buf[1] === 0x8b ? buf.length : zlib.gzipSync(buf, { level: 9 }).length);
const kb = (n) => (n / 1024).toFixed(1) + ' KB';
function walk(d) {
  return fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
}
function disk(files) {
  let raw = 0, gz = 0;
  for (const f of files) { const b = fs.readFileSync(f); raw += b.length; gz += gzSize(b); }
  return `${files.length} files, ${kb(raw)} raw, ${kb(gz)} gz`;
}
// One counting "network": every file read once per cold query.
function meter() {
  const seen = new Set();
  const m = { raw: 0, gz: 0, requests: 0 };
  m.read = (file) => {
    const b = fs.readFileSync(file);
    if (!seen.has(file)) { seen.add(file); m.raw += b.length; m.gz += gzSize(b); m.requests++; }
    return b;
  };
  // `how` follows the quoted query, e.g. ' as typed (prefix)'.
  m.line = (q, extra = '', how = '') => `  cold "${q}"${how}: ${kb(m.gz)} gz (${kb(m.raw)} raw), ${m.requests} requests${extra}`;
  return m;
}

async function notesite() {
  const { Engine, unwrap } = require('../theme/search.js');
  const assets = path.join(dir, 'assets');
  const js = fs.readdirSync(assets).find((f) => /^search\..*\.js$/.test(f));
  const jsBuf = fs.readFileSync(path.join(assets, js));
  // Each part is one `.js` file, which the browser reads in every context (fetched and unwrapped
  // over HTTP, run as a script from file://).
  const index = walk(path.join(dir, 'search')).filter((f) => f.endsWith('.js'));
  console.log(`  index on disk: ${disk(index)}`);
  console.log(`    of which postings (meta + shards): ${disk(index.filter((f) => !f.includes('/f/')))}; fragments: ${disk(index.filter((f) => f.includes('/f/')))}`);
  console.log(`  engine + UI JS: ${kb(jsBuf.length)} raw, ${kb(gzSize(jsBuf))} gz; meta ${kb(gzSize(fs.readFileSync(path.join(dir, 'search/meta.js'))))} gz`);
  for (const q of queries) {
    for (const typing of [false, true]) {
      const m = meter(), parts = new Map();
      m.read(path.join(assets, js));
      // Parsed parts are cached as the browser caches them.
      const load = async (key) => {
        if (!parts.has(key)) parts.set(key, unwrap(key, m.read(path.join(dir, 'search', key + '.js')).toString('utf8')));
        return parts.get(key);
      };
      const e = Engine(load);
      const res = await e.search(q, 10, typing);
      const line = m.line(q, `, ${res.total} hits`, typing ? ' as typed (prefix)' : '');
      // Warm: the same engine, typing the query again letter by letter (parts cached once loaded).
      const times = [];
      for (let i = 1; i <= q.length; i++) {
        await e.search(q.slice(0, i), 10, true);
        const t = performance.now();
        await e.search(q.slice(0, i), 10, true);
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      console.log(line + (typing ? `; warm keystroke p50 ${times[times.length >> 1].toFixed(2)} ms, max ${times[times.length - 1].toFixed(2)} ms` : ''));
    }
  }
}

async function mdbook() {
  const files = walk(dir).filter((f) => /(searchindex|searcher|elasticlunr|mark)[^/]*\.js$/.test(path.basename(f)));
  const index = files.filter((f) => path.basename(f).startsWith('searchindex'));
  console.log(`  index on disk: ${disk(index.filter((f) => f.endsWith('.js')))}`);
  const m = meter();
  files.filter((f) => f.endsWith('.js')).forEach(m.read);
  for (const q of queries) console.log(m.line(q, ' (every query loads the whole index)'));
}

async function pagefind() {
  const index = walk(dir);
  console.log(`  index on disk: ${disk(index)}`);
  for (const q of queries) {
    const m = meter();
    globalThis.fetch = async (url) => {
      const file = decodeURIComponent(new URL(url).pathname);
      const body = m.read(file);
      return new Response(body, { status: 200 });
    };
    const url = 'file://' + path.join(dir, 'pagefind.js') + '?q=' + encodeURIComponent(q);
    m.read(path.join(dir, 'pagefind.js'));
    const pf = await import(url);
    await pf.options({ basePath: 'file://' + dir + '/' });
    const res = await pf.search(q);
    const data = await Promise.all(res.results.slice(0, 10).map((r) => r.data()));
    console.log(m.line(q, `, ${res.results.length} hits, ${data.length} shown`));
  }
}

Promise.resolve().then(() => ({ notesite, mdbook, pagefind })[engine]()).catch((e) => { console.error(`  ${engine}: failed: ${e.stack || e}`); });

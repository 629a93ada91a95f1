// Runs one query with theme/search.js against a built index folder and prints the results as JSON.
// Usage: node tests/search/query.cjs <site>/search "query"   (used by tests/search/main.rs)
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { Engine, unwrap } = require('../../theme/search.js');

const [dir, q] = process.argv.slice(2);
// The parts as the browser reads them over HTTP: the `.js` file, unwrapped by the engine's own code.
const load = async (key) => unwrap(key, fs.readFileSync(path.join(dir, key + '.js'), 'utf8'));
Engine(load).search(q, 10).then((res) => {
  const text = (parts) => parts.map((p) => (p[1] ? '[' + p[0] + ']' : p[0])).join('');
  process.stdout.write(JSON.stringify({
    suggestion: res.suggestion || null,
    total: res.total || 0,
    results: res.results.map((r) => ({
      title: r.title, url: r.url, snippet: text(r.snippet),
      subs: r.subs.map((s) => ({ id: s.id, title: s.title, snippet: text(s.snippet) })),
    })),
  }));
}, (e) => { console.error(e); process.exit(1); });

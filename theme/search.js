/* notesite search: tokenizer (the rules of src/search/tokenize.rs, checked against
   tests/search/golden_tokens.json), index reader, ranking and UI. Loaded on first use by script.js.
   Index parts (search/<key>.js) are fetched over http(s) and run by <script> from file://. Everything
   taken from notes is inserted as text (textContent / createTextNode), never as HTML. No dependencies. */
(function () {
  'use strict';

  /* ---------- Snowball English (Porter2), as in the rust-stemmers crate ---------- */
  const isV = (c) => c !== undefined && 'aeiouy'.includes(c);
  const EXC1 = new Map(Object.entries({
    skis: 'ski', skies: 'sky', dying: 'die', lying: 'lie', tying: 'tie', idly: 'idl', gently: 'gentl',
    ugly: 'ugli', early: 'earli', only: 'onli', singly: 'singl', sky: 'sky', news: 'news', howe: 'howe',
    atlas: 'atlas', cosmos: 'cosmos', bias: 'bias', andes: 'andes',
  }));
  const EXC2 = /^(inning|outing|canning|herring|earring|proceed|exceed|succeed)$/;
  const S2 = {
    tional: 'tion', enci: 'ence', anci: 'ance', abli: 'able', entli: 'ent', izer: 'ize', ization: 'ize',
    ational: 'ate', ation: 'ate', ator: 'ate', alism: 'al', aliti: 'al', alli: 'al', fulness: 'ful',
    ousli: 'ous', ousness: 'ous', iveness: 'ive', iviti: 'ive', biliti: 'ble', bli: 'ble', ogi: 'og',
    fulli: 'ful', lessli: 'less', li: '',
  };
  const S3 = { tional: 'tion', ational: 'ate', alize: 'al', icate: 'ic', iciti: 'ic', ical: 'ic', ful: '', ness: '', ative: '' };
  const S4 = 'al ance ence er ic able ible ant ement ment ent ism ate iti ous ive ize ion'.split(' ');
  // The longest of `list` that ends `w` (Snowball's `among`), or ''.
  const suffix = (w, list) => list.reduce((best, s) => (s.length > best.length && w.endsWith(s) ? s : best), '');
  // Start of the region after the first non-vowel that follows a vowel, from `i`.
  const region = (w, i) => {
    while (i < w.length && !isV(w[i])) i++;
    for (i++; i < w.length && isV(w[i]);) i++;
    return Math.min(i + 1, w.length);
  };
  const shortv = (s, n = s.length) => (n >= 3 && !isV(s[n - 1]) && !'wxY'.includes(s[n - 1]) && isV(s[n - 2]) && !isV(s[n - 3]))
    || (n === 2 && !isV(s[1]) && isV(s[0]));
  function step1a(w) {
    w = w.replace(/'s'$|'s$|'$/, '');
    if (w.endsWith('sses')) return w.slice(0, -2);
    if (/ie[ds]$/.test(w)) return w.slice(0, -3) + (w.length > 4 ? 'i' : 'ie');
    if (/(ss|us)$/.test(w)) return w;
    return w.endsWith('s') && /[aeiouy]/.test(w.slice(0, -2)) ? w.slice(0, -1) : w;
  }
  function step1b(w, p1) {
    const s = suffix(w, ['eed', 'eedly', 'ed', 'edly', 'ing', 'ingly']);
    if (!s) return w;
    const pre = w.slice(0, -s.length);
    if (s[0] === 'e' && s[1] === 'e') return pre.length >= p1 ? pre + 'ee' : w;
    if (!/[aeiouy]/.test(pre)) return w;
    if (/(at|bl|iz)$/.test(pre)) return pre + 'e';
    if (/(bb|dd|ff|gg|mm|nn|pp|rr|tt)$/.test(pre)) return pre.slice(0, -1);
    return pre.length === p1 && shortv(pre) ? pre + 'e' : pre;
  }
  function step2(w, p1) {
    const s = suffix(w, Object.keys(S2)), at = w.length - s.length;
    if (!s || at < p1) return w;
    if (s === 'ogi' && w[at - 1] !== 'l') return w;
    if (s === 'li' && !'cdeghkmnrt'.includes(w[at - 1] || '_')) return w;
    return w.slice(0, at) + S2[s];
  }
  function step3(w, p1, p2) {
    const s = suffix(w, Object.keys(S3)), at = w.length - s.length;
    if (!s || at < p1 || (s === 'ative' && at < p2)) return w;
    return w.slice(0, at) + S3[s];
  }
  function step4(w, p2) {
    const s = suffix(w, S4), at = w.length - s.length;
    if (!s || at < p2 || (s === 'ion' && !'st'.includes(w[at - 1] || '_'))) return w;
    return w.slice(0, at);
  }
  function step5(w, p1, p2) {
    const at = w.length - 1;
    if (w[at] === 'e' && (at >= p2 || (at >= p1 && !shortv(w, at)))) return w.slice(0, at);
    if (w[at] === 'l' && at >= p2 && w[at - 1] === 'l') return w.slice(0, at);
    return w;
  }
  function stem(w) {
    if (EXC1.has(w)) return EXC1.get(w);
    if (w.length < 3) return w;
    if (w[0] === "'") w = w.slice(1);
    if (w[0] === 'y') w = 'Y' + w.slice(1);
    w = w.replace(/([aeiouy])y/g, '$1Y');
    const m = /^(gener|commun|arsen)/.exec(w);
    const p1 = m ? m[0].length : region(w, 0), p2 = region(w, p1);
    w = step1a(w);
    if (!EXC2.test(w)) {
      w = step1b(w, p1);
      if (/[yY]$/.test(w) && w.length > 2 && !isV(w[w.length - 2])) w = w.slice(0, -1) + 'i';
      w = step5(step4(step3(step2(w, p1), p1, p2), p2), p1, p2);
    }
    return w.replace(/Y/g, 'y');
  }

  /* ---------- Tokenizer: same rules and order as src/search/tokenize.rs ---------- */
  const STOP = new Set(('a an and are as at be but by for from has have he i if in into is it its of on or she so '
    + 'that the their then there these they this to was we were will with you').split(' '));
  const CJK = [0x1100, 0x11ff, 0x3005, 0x3005, 0x3007, 0x3007, 0x3040, 0x30ff, 0x3130, 0x318f, 0x31f0, 0x31ff,
    0x3400, 0x4dbf, 0x4e00, 0x9fff, 0xac00, 0xd7af, 0xf900, 0xfaff, 0xff66, 0xff9f, 0x20000, 0x3134f];
  const isCjk = (c) => {
    const x = c.codePointAt(0);
    for (let i = 0; i < CJK.length; i += 2) if (x >= CJK[i] && x <= CJK[i + 1]) return true;
    return false;
  };
  const reWord = /[\p{Alphabetic}\p{N}_]/u, reUp = /\p{Uppercase}/u, reLo = /\p{Lowercase}/u, reNum = /\p{N}/u;
  const reSplit = /[.:/@#\-_]/;
  const len = (s) => { let n = 0; for (const _ of s) n++; return n; };

  function camel(w) {
    const c = Array.from(w), out = [];
    let cur = c[0] || '';
    for (let i = 1; i < c.length; i++) {
      const next = c[i + 1] !== undefined && reLo.test(c[i + 1]);
      if (reUp.test(c[i]) && (reLo.test(c[i - 1]) || ((reUp.test(c[i - 1]) || reNum.test(c[i - 1])) && next))) {
        out.push(cur);
        cur = '';
      }
      cur += c[i];
    }
    out.push(cur);
    return out;
  }

  // Tokens of one raw span: [term, isPart] pairs.
  function spanTokens(raw, cjk, stemming) {
    const out = [], s = raw.normalize('NFKC');
    const emit = (t, part) => { const n = len(t); if (n >= 2 && n <= 64 && !STOP.has(t)) out.push([t, part]); };
    const st = (t) => (stemming && /^[a-z]+$/.test(t) ? stem(t) : t);
    const word = (w, part) => {
      emit(st(w.toLowerCase()), part);
      const pieces = camel(w);
      if (pieces.length > 1) for (const p of pieces) emit(st(p.toLowerCase()), true);
    };
    if (cjk) {
      const c = Array.from(s);
      if (c.length === 1) out.push([c[0], false]);
      for (let i = 0; i + 1 < c.length; i++) out.push([c[i] + c[i + 1], false]);
    } else if (reSplit.test(s)) {
      emit(s.toLowerCase(), false);
      for (const p of s.split(reSplit)) if (p) word(p, true);
    } else word(s, false);
    return out;
  }

  // Span classes of ASCII characters: 1 word, 3 separator, 0 other.
  const ASCII = new Uint8Array(128);
  for (let i = 0; i < 128; i++) ASCII[i] = /[A-Za-z0-9_]/.test(String.fromCharCode(i)) ? 1 : '.:/@#-'.includes(String.fromCharCode(i)) ? 3 : 0;
  // A span's tokens depend only on its text, and words repeat: cache them (shared arrays, read only).
  const seen = new Map();
  const tokensOf = (raw, cjk, stemming) => {
    const key = (stemming ? '+' : '-') + raw;
    let t = seen.get(key);
    if (!t) {
      if (seen.size > 50000) seen.clear();
      seen.set(key, (t = spanTokens(raw, cjk, stemming)));
    }
    return t;
  };
  // Spans of `text` with UTF-16 offsets: [{s, e, t: [[term, isPart]…]}], in one pass; a word span
  // continues over separators only when a word character follows them.
  function spans(text, stemming = true) {
    const out = [];
    let ws = -1, we = 0, cs = -1;
    const push = (s, e, cjk) => { const t = tokensOf(text.slice(s, e), cjk, stemming); if (t.length) out.push({ s, e, t }); };
    for (let i = 0, n = 1; i < text.length; i += n) {
      const x = text.charCodeAt(i);
      let k;
      n = 1;
      if (x < 128) k = ASCII[x];
      else {
        const c = String.fromCodePoint(text.codePointAt(i));
        n = c.length;
        k = isCjk(c) ? 2 : reWord.test(c) ? 1 : 0;
      }
      if (k === 2) {
        if (ws >= 0) { push(ws, we, false); ws = -1; }
        if (cs < 0) cs = i;
        continue;
      }
      if (cs >= 0) { push(cs, i, true); cs = -1; }
      if (k === 1) { if (ws < 0) ws = i; we = i + n; } else if (k === 0 && ws >= 0) { push(ws, we, false); ws = -1; }
    }
    if (cs >= 0) push(cs, text.length, true);
    if (ws >= 0) push(ws, we, false);
    return out;
  }
  const tokens = (text, stemming) => spans(text, stemming).flatMap((s) => s.t);

  /* ---------- Query ---------- */
  // Groups (one per word; every group must match) and phrases (sequences of whole terms). While
  // `typing`, the last word is a prefix.
  function parseQuery(q, stemming, typing = true) {
    const groups = [], phrases = [];
    q.split('"').forEach((seg, i, all) => {
      const sp = spans(seg, stemming), phrase = i % 2 === 1;
      if (phrase && sp.length > 1) phrases.push(sp.flatMap((s) => s.t.filter((t) => !t[1]).map((t) => t[0])));
      sp.forEach((s, j) => {
        const whole = s.t.filter((t) => !t[1]).map((t) => t[0]), parts = s.t.filter((t) => t[1]).map((t) => t[0]);
        const last = typing && !phrase && i === all.length - 1 && j === sp.length - 1 && s.e === seg.length;
        if (!whole.length) whole.push(parts.shift());
        whole.forEach((w, n) => groups.push({
          w, parts: whole.length > 1 ? [] : parts, raw: seg.slice(s.s, s.e).normalize('NFKC').toLowerCase(),
          prefix: last && n === whole.length - 1,
        }));
      });
    });
    return { groups, phrases };
  }

  /* ---------- Index ---------- */
  const DIGITS = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_';
  const VAL = new Int8Array(128);
  for (let i = 0; i < 64; i++) VAL[DIGITS.charCodeAt(i)] = i;
  function decode(p) {
    const d = [], w = [];
    for (let i = 0, doc = 0, gap = 0, sh = 0; i < p.length; i++) {
      const v = VAL[p.charCodeAt(i)];
      gap |= (v & 31) << sh;
      sh += 5;
      if (v < 32) { doc += gap; d.push(doc); w.push(VAL[p.charCodeAt(++i)]); gap = sh = 0; }
    }
    return { d, w };
  }
  // First index in sorted `a` whose item is greater than `x` (or >= with `eq`).
  const bound = (a, x, eq) => {
    let lo = 0, hi = a.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (a[m] < x || (!eq && a[m] === x)) lo = m + 1; else hi = m; }
    return lo;
  };
  const osa = (a, b, max) => {
    if (Math.abs(a.length - b.length) > max) return max + 1;
    let p2 = [], p = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const c = [i];
      for (let j = 1; j <= b.length; j++) {
        let v = Math.min(p[j] + 1, c[j - 1] + 1, p[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, p2[j - 2] + 1);
        c.push(v);
      }
      if (Math.min(...c) > max) return max + 1;
      p2 = p; p = c;
    }
    return p[b.length];
  };

  // Phrases are checked in the text of at most this many of the best documents.
  const PHRASE_POOL = 50;

  // The engine over an index read through `load(key)` → Promise of a parsed part ('meta', 't/3', 'f/12').
  function Engine(load) {
    let meta;
    const pcache = new Map();
    const shardNo = (t) => Math.max(0, bound(meta.s, t) - 1);
    const shard = (i) => load('t/' + i);
    async function post(t) {
      if (pcache.has(t)) return pcache.get(t);
      const s = await shard(shardNo(t)), i = bound(s.t, t, true);
      const pl = s.t[i] === t ? decode(s.p[i]) : null;
      pcache.set(t, pl);
      return pl;
    }
    const idf = (df) => Math.log(1 + (meta.n - df + 0.5) / (df + 0.5));
    const add = (acc, pl, weight) => {
      const f = idf(pl.d.length) * weight / 63;
      pl.d.forEach((d, i) => acc.set(d, (acc.get(d) || 0) + f * pl.w[i]));
    };
    // Terms a prefix stands for: those it begins, and (for a word typed past its stem) the stem.
    async function expand(g) {
      const found = new Map();
      for (const p of new Set([g.w, g.raw])) {
        const last = Math.min(shardNo(p + '\uffff'), shardNo(p) + 2);
        for (let i = shardNo(p); i <= last; i++) {
          const s = await shard(i);
          for (let j = bound(s.t, p, true); j < s.t.length && s.t[j].startsWith(p) && found.size < 80; j++) {
            found.set(s.t[j], Math.max(found.get(s.t[j]) || 0, 1 / (1 + (s.t[j].length - p.length) / 4)));
          }
        }
      }
      for (let k = g.raw.length - 1; /^[a-z]+$/.test(g.raw) && k >= Math.max(3, g.raw.length - 3); k--) {
        const t = g.raw.slice(0, k);
        if (!found.has(t) && (await post(t))) found.set(t, 0.5);
      }
      return found;
    }
    async function groupScores(g) {
      const acc = new Map();
      g.terms = new Set();
      const use = async (t, weight) => { const pl = await post(t); if (pl) { add(acc, pl, weight); g.terms.add(t); } return pl; };
      if (g.prefix) {
        for (const [t, sim] of await expand(g)) await use(t, sim);
        if (acc.size || !g.parts.length) return acc;
      }
      const whole = await use(g.w, g.parts.length ? 2 : 1);
      // Parts (s3, putobject, put, object) widen a rare compound; a common one needs no more shards.
      if (g.parts.length && (!whole || whole.d.length < 10)) {
        const pls = await Promise.all(g.parts.map(post));
        if (pls.every(Boolean)) {
          const all = new Map();
          pls.forEach((pl) => add(all, pl, 0.5));
          for (const [d, s] of all) if (pls.every((pl) => pl.d.includes(d))) acc.set(d, (acc.get(d) || 0) + s);
          g.parts.forEach((t) => g.terms.add(t));
        }
      }
      return acc;
    }
    // The closest known term to `w` (1 edit, 2 from 6 letters) in its shard and the two beside it.
    async function fuzzy(w) {
      if (w.length < 3 || /[^\p{L}\p{N}]/u.test(w)) return null;
      const max = w.length >= 6 ? 2 : 1, i = shardNo(w);
      let best = null;
      for (let k = Math.max(0, i - 1); k <= Math.min(meta.s.length - 1, i + 1); k++) {
        const s = await shard(k);
        s.t.forEach((t, j) => {
          const dist = osa(w, t, max), df = s.p[j].length;
          if (dist <= max && (!best || dist < best.dist || (dist === best.dist && df > best.df))) best = { t, dist, df };
        });
      }
      return best && best.t;
    }
    // Orders only the best `keep` documents: nothing reads further down.
    async function rank(groups, keep) {
      const maps = await Promise.all(groups.map(groupScores));
      // Doc ids are 0..n-1: flat arrays, not Maps of thousands of entries rebuilt per keystroke.
      const total = new Float64Array(meta.n), hits = new Uint16Array(meta.n), seen = [];
      for (const m of maps) for (const [d, s] of m) { if (!hits[d]++) seen.push(d); total[d] += s; }
      let docs = seen.filter((d) => hits[d] === groups.length);
      const and = docs.length > 0;
      if (!and) docs = seen;
      const score = (d) => total[d] * (and ? 1 : (hits[d] / groups.length) ** 2);
      return { docs: best(docs, score, keep), count: docs.length, maps, and };
    }
    // The best `k` of `docs`, best first (ties: lower id first). Sorting all ~6k hits of a common
    // word at 10k notes took most of a warm keystroke; here most fail one comparison with the k-th.
    function best(docs, score, k) {
      const s = docs.map(score), top = [];
      const before = (i, j) => s[i] > s[j] || (s[i] === s[j] && docs[i] < docs[j]);
      for (let i = 0; i < docs.length; i++) {
        if (top.length === k && !before(i, top[k - 1])) continue;
        let at = Math.min(top.length, k - 1);
        for (; at > 0 && before(i, top[at - 1]); at--) top[at] = top[at - 1];
        top[at] = i;
      }
      return top.map((i) => docs[i]);
    }
    const frag = (d) => load('f/' + d).then((f) => {
      if (!f.sp) { f.sp = spans(f.x, meta.stem); f.ts = spans(f.t, meta.stem); }
      return f;
    });
    const wholes = (f) => f.wh || (f.wh = f.ts.concat(f.sp).flatMap((s) => s.t.filter((t) => !t[1]).map((t) => t[0])));
    const hasPhrase = (f, ph) => {
      const seq = wholes(f);
      for (let i = 0; i + ph.length <= seq.length; i++) if (ph.every((t, j) => seq[i + j] === t)) return true;
      return false;
    };
    async function search(q, limit = 10, typing = true) {
      meta = meta || (await load('meta'));
      const { groups, phrases } = parseQuery(q, meta.stem, typing);
      if (!groups.length) return { results: [], terms: new Set() };
      const keep = Math.max(limit, PHRASE_POOL);
      let r = await rank(groups, keep), suggestion = null;
      if (!r.and && r.maps.some((m) => !m.size)) {
        const fixed = await Promise.all(groups.map(async (g, i) => (r.maps[i].size ? g : { ...g, w: (await fuzzy(g.w)) || g.w, parts: [], prefix: false })));
        if (fixed.some((g, i) => g.w !== groups[i].w)) {
          const r2 = await rank(fixed, keep);
          if (r2.and) { r = r2; suggestion = fixed; }
        }
      }
      let docs = r.docs, count = r.count;
      if (phrases.length) {
        const kept = [];
        for (let i = 0; i < docs.length && i < PHRASE_POOL && kept.length < limit; i += 10) {
          const batch = docs.slice(i, i + 10), fr = await Promise.all(batch.map(frag));
          batch.forEach((d, j) => { if (phrases.every((ph) => hasPhrase(fr[j], ph))) kept.push(d); });
        }
        docs = kept;
        count = kept.length;
      }
      const terms = new Set((suggestion || groups).flatMap((g) => [...g.terms]));
      const top = docs.slice(0, limit), fr = await Promise.all(top.map(frag));
      const results = top.map((d, i) => describe(fr[i], terms, d));
      return { results, terms, total: count, suggestion: suggestion && suggest(suggestion, fr) };
    }
    // Turns corrected terms back into words a person typed, taken from the results' text.
    const suggest = (groups, fr) => groups.map((g) => {
      for (const f of fr) for (const s of f.sp) if (s.t.some((t) => t[0] === g.w)) return f.x.slice(s.s, s.e).toLowerCase();
      return g.w;
    }).join(' ');
    return { search, parseQuery };
  }

  /* ---------- Snippets and sub-results ---------- */
  const hitSpans = (sp, terms) => sp.filter((s) => s.t.some((t) => terms.has(t[0])));
  // The ~`size`-character window of [from, to) with the most distinct hits: [[text, isMark]…].
  function snippet(x, hits, from, to, size) {
    hits = hits.filter((h) => h.s >= from && h.e <= to);
    // Sliding window over the hits (two pointers), counting distinct words in it.
    let best = from, bestN = 0;
    const count = new Map();
    for (let i = 0, j = 0; i < hits.length; i++) {
      if (j < i) j = i;
      for (; j < hits.length && hits[j].e <= hits[i].s + size; j++) {
        const w = x.slice(hits[j].s, hits[j].e).toLowerCase();
        count.set(w, (count.get(w) || 0) + 1);
      }
      if (count.size > bestN) { bestN = count.size; best = hits[i].s; }
      const w = x.slice(hits[i].s, hits[i].e).toLowerCase(), c = (count.get(w) || 1) - 1;
      if (c > 0) count.set(w, c); else count.delete(w);
    }
    let s = Math.max(from, best - 40);
    if (s > from) { const sp = x.indexOf(' ', s); s = sp > 0 && sp < best ? sp + 1 : s; }
    const e = Math.min(to, s + size), out = [];
    let at = s;
    for (const h of hits) {
      if (h.s < at || h.e > e) continue;
      out.push([x.slice(at, h.s), false], [x.slice(h.s, h.e), true]);
      at = h.e;
    }
    out.push([x.slice(at, e), false]);
    if (s > from) out.unshift(['…', false]);
    if (e < to) out.push(['…', false]);
    return out.map(([t, m]) => [t.replace(/\s+/g, ' '), m]);
  }
  function describe(f, terms, d) {
    const hits = hitSpans(f.sp, terms), h = f.h || [];
    const sections = h.map((x, i) => ({ n: 0, start: x[0], end: i + 1 < h.length ? h[i + 1][0] : f.x.length, id: x[2], title: x[3] }));
    for (let i = 0, k = 0; i < hits.length; i++) {
      while (k + 1 < sections.length && sections[k + 1].start <= hits[i].s) k++;
      if (sections[k] && sections[k].start <= hits[i].s) sections[k].n++;
    }
    const subs = sections.filter((s) => s.n > 0).sort((a, b) => b.n - a.n).slice(0, 3).sort((a, b) => a.start - b.start)
      .map((s) => ({ id: s.id, title: s.title, snippet: snippet(f.x, hits, s.start + s.title.length, s.end, 90) }));
    return { doc: d, title: f.t, url: f.u, topics: f.p || [], snippet: snippet(f.x, hits, 0, f.x.length, 170), subs, hits: hitSpans(f.ts, terms) };
  }

  // A part is `__notesiteSearch("<key>",<json>);` (why fetch and parse it: src/search/shard.rs).
  const unwrap = (key, text) => {
    const head = '__notesiteSearch("' + key + '",', end = text.lastIndexOf(');');
    if (!text.startsWith(head) || end < head.length) throw new Error('bad part ' + key);
    return JSON.parse(text.slice(head.length, end));
  };

  const api = { stem, spans, tokens, parseQuery, Engine, decode, osa, unwrap };
  if (typeof module === 'object' && module.exports) module.exports = api;
  if (typeof document === 'undefined') return;

  /* ---------- Browser: loading ---------- */
  const d = document, input = d.getElementById('search-input'), form = input && input.form;
  if (!form || window.__notesiteSearchUI) return;
  window.__notesiteSearchUI = api;
  const root = form.dataset.root || '', base = root + 'search/', fileMode = location.protocol === 'file:';
  const cache = new Map(), waiting = new Map();
  let build = '';
  window.__notesiteSearch = (key, data) => { const w = waiting.get(key); if (w) { waiting.delete(key); w(data); } };
  const viaScript = (key) => new Promise((resolve, reject) => {
    const s = d.createElement('script'), fail = () => { waiting.delete(key); reject(new Error('cannot load ' + key)); };
    waiting.set(key, resolve);
    s.src = base + key + '.js' + (build && !fileMode ? '?v=' + build : '');
    s.onerror = fail;
    // Ran but never called back (not a part): fail rather than wait forever.
    s.onload = () => { s.remove(); if (waiting.has(key)) fail(); };
    d.head.append(s);
  });
  const viaFetch = (key) => fetch(base + key + '.js' + (build ? '?v=' + build : ''), build ? {} : { cache: 'no-cache' })
    .then((r) => { if (!r.ok) throw new Error(r.status); return r.text(); })
    .then((text) => unwrap(key, text))
    .catch(() => viaScript(key));
  const load = (key) => {
    if (!cache.has(key)) {
      const p = (fileMode ? viaScript(key) : viaFetch(key)).then((v) => { if (key === 'meta') build = v.b; return v; });
      p.catch(() => cache.delete(key));
      cache.set(key, p);
    }
    return cache.get(key);
  };
  const engine = Engine(load);

  /* ---------- Browser: rendering (text only) ---------- */
  const el = (tag, cls, text) => { const e = d.createElement(tag); if (cls) e.className = cls; if (text) e.textContent = text; return e; };
  const marked = (cls, parts) => {
    const e = el('span', cls);
    for (const [t, m] of parts) e.append(m ? el('mark', '', t) : d.createTextNode(t));
    return e;
  };
  const href = (url, q, id) => root + url + '?h=' + encodeURIComponent(q) + (id ? '#' + encodeURIComponent(id) : '');
  function resultNodes(res, q, page) {
    const out = [];
    for (const r of res.results) {
      const a = el('a', 'sr-note');
      a.href = href(r.url, q);
      const title = marked('sr-title', r.hits.length ? snippet(r.title, r.hits, 0, r.title.length, 999) : [[r.title, false]]);
      a.append(title, marked('sr-snippet', r.snippet));
      if (page && r.topics.length) a.append(el('span', 'sr-topics', r.topics.join(' · ')));
      const group = [a];
      for (const s of r.subs) {
        const b = el('a', 'sr-sub');
        b.href = href(r.url, q, s.id);
        b.append(el('span', 'sr-heading', s.title), marked('sr-snippet', s.snippet));
        group.push(b);
      }
      out.push(group);
    }
    return out;
  }
  const status = (text, q, fixed) => {
    const p = el('p', 'sr-status', text);
    if (fixed) {
      const b = el('button', 'sr-fix', fixed);
      b.type = 'button';
      b.addEventListener('mousedown', (e) => e.preventDefault());
      b.addEventListener('click', () => { input.value = fixed; if (out && !pop.contains(b)) location.search = '?q=' + encodeURIComponent(fixed); else run(); });
      p.append(' ', b);
    }
    return p;
  };
  function describeStatus(res, q) {
    if (res.suggestion) return status('No results for “' + q + '”. Did you mean', q, res.suggestion);
    if (!res.results.length) return status('No results for “' + q + '”.', q);
    return null;
  }

  /* ---------- Browser: recent searches ---------- */
  const RECENT = 'notesite-recent-searches';
  const recent = () => { try { return JSON.parse(localStorage.getItem(RECENT)) || []; } catch (e) { return []; } };
  const remember = (q) => {
    q = q.trim();
    if (!q) return;
    try { localStorage.setItem(RECENT, JSON.stringify([q, ...recent().filter((x) => x !== q)].slice(0, 8))); } catch (e) { /* private mode */ }
  };

  /* ---------- Browser: dropdown ---------- */
  const pop = el('div', 'search-popup');
  pop.id = 'search-popup';
  pop.setAttribute('role', 'listbox');
  pop.hidden = true;
  form.append(pop);
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-controls', pop.id);
  input.setAttribute('aria-expanded', 'false');
  input.setAttribute('aria-autocomplete', 'list');
  let active = -1, seq = 0, timer;
  const options = () => [...pop.querySelectorAll('a, .sr-recent')];
  const show = (nodes) => {
    pop.replaceChildren(...nodes);
    options().forEach((o, i) => { o.id = 'sr-opt-' + i; o.setAttribute('role', 'option'); });
    active = -1;
    pop.hidden = !nodes.length;
    input.setAttribute('aria-expanded', String(!pop.hidden));
    input.removeAttribute('aria-activedescendant');
  };
  const close = () => show([]);
  // Esc and blur also drop the pending keystroke and any query still running, so late results
  // never reopen a dropdown the user closed.
  const dismiss = () => { clearTimeout(timer); timer = 0; seq++; close(); };
  const move = (step) => {
    const o = options();
    if (!o.length) return;
    if (active >= 0) o[active].classList.remove('is-active');
    active += step;
    if (active >= o.length) active = 0;
    if (active < -1) active = o.length - 1;
    if (active < 0) return input.removeAttribute('aria-activedescendant');
    o[active].classList.add('is-active');
    o[active].scrollIntoView({ block: 'nearest' });
    input.setAttribute('aria-activedescendant', o[active].id);
  };
  function showRecent() {
    const list = recent();
    if (!list.length) return close();
    show([el('p', 'sr-status', 'Recent searches'), ...list.map((q) => {
      const b = el('button', 'sr-recent', q);
      b.type = 'button';
      b.addEventListener('mousedown', (e) => e.preventDefault());
      b.addEventListener('click', () => { input.value = q; run(); });
      return b;
    })]);
  }
  async function run() {
    const q = input.value, n = ++seq;
    timer = 0;
    if (!q.trim()) return showRecent();
    if (pop.hidden) show([status('Loading the index…')]);
    let res;
    try { res = await engine.search(q, 8); } catch (e) { if (n === seq) show([status('Search is unavailable: ' + e.message)]); return; }
    if (n !== seq) return;
    const head = describeStatus(res, q), groups = resultNodes(res, q, false);
    const nodes = groups.map((g) => { const li = el('div', 'sr-group'); li.append(...g); return li; });
    show(head ? [head, ...nodes] : nodes);
  }
  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(run, 60); });
  input.addEventListener('focus', () => { if (input.value.trim()) run(); else showRecent(); });
  input.addEventListener('blur', () => setTimeout(() => { if (!form.contains(d.activeElement)) dismiss(); }, 150));
  pop.addEventListener('mousedown', (e) => { const a = e.target.closest('a'); if (a) remember(input.value); });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') { e.preventDefault(); if (pop.hidden) run(); else move(e.key === 'ArrowDown' ? 1 : -1); }
    else if (e.key === 'Escape') { if (!pop.hidden || timer) { e.preventDefault(); e.stopPropagation(); dismiss(); } else input.blur(); }
    else if (e.key === 'Enter') {
      remember(input.value);
      const o = options()[active];
      if (o) { e.preventDefault(); o.click(); }
    }
  });

  /* ---------- Browser: search page and landing highlight ---------- */
  const params = new URLSearchParams(location.search);
  const out = d.getElementById('search-results');
  if (out && params.get('q')) {
    const q = params.get('q');
    input.value = q;
    remember(q);
    out.replaceChildren(status('Searching…'));
    engine.search(q, 30, false).then((res) => {
      const list = el('ol', 'sr-list');
      for (const g of resultNodes(res, q, true)) { const li = el('li', 'sr-group'); li.append(...g); list.append(li); }
      const head = describeStatus(res, q) || status(res.total + (res.total === 1 ? ' note' : ' notes') + ' found.');
      out.replaceChildren(head, list);
    }, (e) => out.replaceChildren(status('Search is unavailable: ' + e.message)));
  }
  const h = params.get('h');
  if (h) highlight(h);
  function highlight(q) {
    const { groups } = parseQuery(q, true);
    const exact = new Set(groups.flatMap((g) => [g.w, ...g.parts])), pre = groups.filter((g) => g.prefix).map((g) => g.w);
    const hit = (s) => s.t.some(([t]) => exact.has(t) || pre.some((p) => t.startsWith(p)));
    const main = d.querySelector('main') || d.body, nodes = [];
    const walk = d.createTreeWalker(main, NodeFilter.SHOW_TEXT, {
      acceptNode: (n) => (n.parentNode.closest('script, style, mark, .search-popup') ? 2 : 1),
    });
    while (walk.nextNode()) nodes.push(walk.currentNode);
    let first = null, firstNode = null;
    for (const node of nodes) {
      const found = spans(node.data).filter(hit).reverse();
      if (found.length && !firstNode) firstNode = node;
      for (const s of found) {
        const mid = node.splitText(s.s);
        mid.splitText(s.e - s.s);
        const m = el('mark', 'search-hit');
        mid.replaceWith(m);
        m.append(mid);
        if (firstNode === node) first = m;
      }
    }
    const target = location.hash && d.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (first && !target) first.scrollIntoView({ block: 'center' });
  }
  if (d.activeElement === input) { if (input.value.trim()) run(); else showRecent(); }
})();

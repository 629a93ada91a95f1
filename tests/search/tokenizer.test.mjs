// Checks theme/search.js against the golden vectors written by src/search/golden.rs, so the browser
// tokenizes, stems and decodes exactly like the index builder. Run: node --test tests/search/
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const search = createRequire(import.meta.url)('../../theme/search.js');
const golden = JSON.parse(readFileSync(new URL('./golden_tokens.json', import.meta.url), 'utf8'));

test('tokens match the Rust tokenizer', () => {
  assert.ok(golden.tokens.length > 20);
  for (const { in: input, out } of golden.tokens) {
    assert.deepEqual(search.tokens(input), out, input);
  }
});

test('stems match rust-stemmers (Snowball English)', () => {
  assert.ok(golden.stems.length > 1000);
  const wrong = golden.stems.filter(([word, stem]) => search.stem(word) !== stem);
  assert.deepEqual(wrong.map(([w, s]) => `${w}: want ${s}, got ${search.stem(w)}`), []);
});

test('postings decode like the Rust encoder wrote them', () => {
  for (const { encoded, d, w } of golden.postings) {
    assert.deepEqual(search.decode(encoded), { d, w }, encoded);
  }
});

test('query parsing: groups, parts, prefix and phrases', () => {
  const { groups, phrases } = search.parseQuery('"aws s3 sync" s3:PutObject lamb', true);
  assert.deepEqual(phrases, [['aw', 's3', 'sync']]);
  assert.deepEqual(groups.map((g) => g.w), ['aw', 's3', 'sync', 's3:putobject', 'lamb']);
  assert.deepEqual(groups[3].parts, ['s3', 'putobject', 'put', 'object']);
  assert.deepEqual(groups.map((g) => g.prefix), [false, false, false, false, true]);
  assert.equal(search.parseQuery('lamb ', true).groups[0].prefix, false);
});

test('optimal string alignment distance', () => {
  assert.equal(search.osa('lambda', 'lamdba', 2), 1);
  assert.equal(search.osa('bucket', 'bucekt', 2), 1);
  assert.equal(search.osa('policy', 'polcy', 2), 1);
  assert.equal(search.osa('abc', 'xyz', 1), 2);
});

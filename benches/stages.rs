//! Stage micro-benchmarks (divan, stable Rust): scan, parse, link graph (resolution, topics, backlinks
//! and related notes), render and write, each driven through the library API on a generated site.
//!
//! `cargo bench --bench stages` uses 10,000 notes; `NOTESITE_BENCH_NOTES=1000 cargo bench …` another size.
//! The site is generated once into a temporary folder: 50 folders, 40 topics (two or three per note),
//! links and wikilinks between notes (one link in ten to a missing heading), headings with ids, and a
//! code block in every fifth note.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::OnceLock;

use notesite::config::Config;
use notesite::graph::{self, GraphInput, LinkCache, Site};
use notesite::images::{self, Assets};
use notesite::output::{self, Output};
use notesite::parse::{self, Note};
use notesite::render::Renderer;
use notesite::scan::{self, SourceSet};

fn main() {
    divan::main();
}

struct Fixture {
    _dir: tempfile::TempDir,
    config: Config,
    sources: SourceSet,
    notes: Vec<Box<Note>>,
    site: Site,
    assets: Assets,
    renderer: Renderer,
    output: Output,
}

fn notes_wanted() -> usize {
    std::env::var("NOTESITE_BENCH_NOTES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000)
}

/// A small deterministic generator (no `rand` dependency).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % below as u64) as usize
    }
}

fn word(i: usize) -> String {
    const SYLLABLES: [&str; 16] = [
        "ka", "lo", "mi", "nu", "re", "sa", "to", "vi", "ber", "con", "dex", "fal", "gor", "hin",
        "jun", "pol",
    ];
    let mut w = String::new();
    let mut n = i + 16;
    while n > 0 {
        w.push_str(SYLLABLES[n % 16]);
        n /= 16;
    }
    w
}

fn note_text(i: usize, n: usize, rng: &mut Lcg) -> String {
    let folder = i % 50;
    let topics: Vec<String> = (0..2 + i % 2)
        .map(|k| format!("topic-{}", (folder + k * 7 + rng.next(3)) % 40))
        .collect();
    let mut text = format!(
        "---\ntitle: Note {i} {}\ntopics: [{}]\n---\n",
        word(i),
        topics.join(", ")
    );
    for section in 0..4 {
        let _ = writeln!(
            text,
            "\n## Section {section} {} {{#section-{section}}}\n",
            word(rng.next(3000))
        );
        for _ in 0..3 {
            let words: Vec<String> = (0..40).map(|_| word(rng.next(3000))).collect();
            text.push_str(&words.join(" "));
            text.push_str(".\n");
        }
        let other = (i + 50 * (1 + rng.next(20))) % n;
        // One link in ten points at a heading that does not exist (a warning with a suggestion).
        let fragment = if rng.next(10) == 0 { 9 } else { 1 };
        let _ = writeln!(
            text,
            "\nSee [note {other}](../f{:02}/n{other:05}.md#section-{fragment}) and [[Note {} {}]].",
            other % 50,
            (i + 1) % n,
            word((i + 1) % n)
        );
    }
    if i % 5 == 0 {
        text.push_str("\n```rust\nfn main() {\n    println!(\"hello {}\", 1 + 2);\n}\n```\n");
    }
    text
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let n = notes_wanted();
        let dir = tempfile::tempdir().expect("temp dir");
        let mut rng = Lcg(42);
        for i in 0..n {
            let folder = dir.path().join(format!("notes/f{:02}", i % 50));
            std::fs::create_dir_all(&folder).expect("notes folder");
            std::fs::write(
                folder.join(format!("n{i:05}.md")),
                note_text(i, n, &mut rng),
            )
            .expect("write note");
        }
        let config = Config::load(dir.path()).expect("config");
        let (sources, _) = scan::scan(&config);
        let notes = parse_all(&sources);
        let (site, _) = graph::build(
            notes.clone(),
            &graph_input(&config, &sources),
            LinkCache::default(),
        );
        // The notes reference no images: the stage only has to run, never process.
        let options = images::LoadOptions {
            config: &config.images,
            process: false,
            ocr: false,
            tick: &|| {},
        };
        let (assets, _) = images::load(&site, options, Assets::default(), &|_| false);
        let renderer = Renderer::new(&config).expect("templates");
        let mut output = Output::default();
        renderer.render(&site, &assets, &config, &mut output, None);
        Fixture {
            _dir: dir,
            config,
            sources,
            notes,
            site,
            assets,
            renderer,
            output,
        }
    })
}

fn parse_all(sources: &SourceSet) -> Vec<Box<Note>> {
    parse::parse_all(
        &sources.notes,
        Default::default(),
        &|_| false,
        &|| {},
        false,
    )
    .into_iter()
    .filter_map(|p| p.note)
    .collect()
}

fn graph_input<'a>(config: &'a Config, sources: &'a SourceSet) -> GraphInput<'a> {
    GraphInput {
        config,
        images: &sources.images,
        drafts: false,
        is_unchanged: &|_| false,
        page_inputs: false,
    }
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn scan(bencher: divan::Bencher) {
    let f = fixture();
    bencher.bench(|| scan::scan(&f.config));
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn parse(bencher: divan::Bencher) {
    let f = fixture();
    bencher.bench(|| parse_all(&f.sources));
}

/// graph::build: link resolution, backlinks, topics and related notes (issue 3: < 300 ms at 10k).
#[divan::bench(sample_count = 5, sample_size = 1)]
fn link_graph(bencher: divan::Bencher) {
    let f = fixture();
    let input = graph_input(&f.config, &f.sources);
    bencher
        .with_inputs(|| f.notes.clone())
        .bench_values(|notes| graph::build(notes, &input, LinkCache::default()));
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn render(bencher: divan::Bencher) {
    let f = fixture();
    bencher.bench(|| {
        let mut output = Output::default();
        f.renderer
            .render(&f.site, &f.assets, &f.config, &mut output, None);
        output
    });
}

/// Writing the whole site into a new folder (staging, then rename).
#[divan::bench(sample_count = 5, sample_size = 1)]
fn write(bencher: divan::Bencher) {
    let f = fixture();
    let parent = tempfile::tempdir().expect("temp dir");
    let run = std::sync::atomic::AtomicUsize::new(0);
    bencher
        .with_inputs(|| {
            let n = run.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            parent.path().join(format!("out{n}"))
        })
        .bench_values(|out: PathBuf| output::write(&f.output, &out).expect("write"));
}

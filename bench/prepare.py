#!/usr/bin/env python3
"""Prepares the benchmark corpora from ../shared/corpus, each as three equivalent sites:

    <scratch>/corpora/<name>/notesite/   notesite.toml, notes/, img/
    <scratch>/corpora/<name>/hugo/       config.toml, content/ (front matter: title), layouts/, static/img/
    <scratch>/corpora/<name>/mdbook/     book.toml, src/SUMMARY.md, src/...

Corpora: `1k` (the corpus as it is), `10k` and `50k` (copies `copy-NN/` of it with unique paths and
titles, cut to exactly that many notes), `shots` (the 1k corpus plus 500 screenshots of 1920x1080,
about two referenced by every note). A corpus that exists with the same parameters is kept.
The licence files are copied beside every copy of a guide.

usage: prepare.py SCRATCH CORPUS_DIR NAME...
"""

import json
import os
import random
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

SIZES = {"1k": None, "10k": 10_000, "50k": 50_000, "shots": None}
SCREENSHOTS = 500
# Bumped whenever the generated layout changes, so stale corpora are rebuilt.
VERSION = "4"

HEADING = re.compile(r"^# (.*?)(<a name=.*)?$")


def guides(corpus):
    """[(guide name, [(file name, text)], [licence file paths])], sorted."""
    out = []
    for guide in sorted(os.listdir(corpus)):
        src = os.path.join(corpus, guide, "doc_source")
        if not os.path.isdir(src):
            continue
        pages = []
        for name in sorted(os.listdir(src)):
            if name.endswith(".md"):
                with open(os.path.join(src, name), encoding="utf-8", errors="replace") as f:
                    pages.append((name, f.read()))
        licences = sorted(
            os.path.join(corpus, guide, n) for n in os.listdir(os.path.join(corpus, guide)) if n.startswith("LICENSE")
        )
        out.append((guide, pages, licences))
    return out


def retitle(text, suffix):
    """The first `# Title<a name=…>` gets ` (copy N)`; returns (new text, plain title)."""
    first, _, rest = text.partition("\n")
    m = HEADING.match(first)
    if not m:
        return text, None
    title = m.group(1).strip() + suffix
    return "# " + title + (m.group(2) or "") + "\n" + rest, title


def plain(title, fallback):
    if not title:
        return fallback
    return re.sub(r"\\(.)", r"\1", title).replace("*", "").replace("`", "")


def plan(corpus, name):
    """[(rel dir, file, text, title)] for the notes of corpus `name`, and the licence copies."""
    gs = guides(corpus)
    total = sum(len(p) for _, p, _ in gs)
    want = SIZES[name]
    copies = 1 if want is None else -(-want // total)
    notes, licences = [], []
    for c in range(copies):
        for guide, pages, lic in gs:
            rel = f"{guide}/doc_source" if want is None else f"copy-{c:02}/{guide}/doc_source"
            for path in lic:
                licences.append((os.path.dirname(rel), path))
            for file, text in pages:
                if want is not None and len(notes) >= want:
                    break
                text, title = retitle(text, "" if c == 0 else f" (copy {c})")
                notes.append((rel, file, text, plain(title, file[:-3])))
    return notes, licences


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def screenshot(path, i):
    """A 1920x1080 truecolour PNG that looks like a console screenshot (~150 KB), unique per `i`."""
    rnd = random.Random(i)
    draw = []
    for _ in range(12):
        x, y = rnd.randrange(280, 1500), rnd.randrange(140, 960)
        w, h = rnd.randrange(80, 400), rnd.randrange(10, 50)
        colour = rnd.choice(["#d0d7de", "#0969da", "#57606a", "#1f883d", "#cf222e"])
        draw += ["-fill", colour, "-draw", f"rectangle {x},{y} {x + w},{y + h}"]
    cmd = ["/usr/bin/convert", "-size", "1920x1080", "xc:#f4f5f7", "-fill", "#2d3e50",
           "-draw", "rectangle 0,0 1919,59", "-fill", "white", "-draw", "rectangle 240,100 1880,1040",
           *draw, "(", "-size", "240x160", "-seed", str(i), "plasma:fractal", "-blur", "0x1", ")",
           "-geometry", f"+{rnd.randrange(300, 1500)}+{rnd.randrange(150, 850)}", "-composite",
           "-depth", "8", "-define", "png:color-type=2", path]
    subprocess.run(cmd, check=True)


def make_screenshots(img_dir):
    if not os.path.exists("/usr/bin/convert"):
        sys.exit("prepare: the screenshot corpus needs ImageMagick (apt-get install -y imagemagick)")
    os.makedirs(img_dir, exist_ok=True)
    todo = [i for i in range(SCREENSHOTS) if not os.path.exists(os.path.join(img_dir, f"shot-{i:03}.png"))]
    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        list(pool.map(lambda i: screenshot(os.path.join(img_dir, f"shot-{i:03}.png"), i), todo))


HUGO_CONFIG = """baseURL = "/"
title = "bench"
uglyURLs = true
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT"]
[outputs]
home = ["HTML", "JSON"]
[markup.goldmark.renderer]
unsafe = true
"""

# Comparable work to notesite's: every page has a sidebar (at most 40 pages of its section, as notesite
# lists at most 40 notes of a large topic; listing all ~500 made Hugo 3x slower) and a table of
# contents; each section has a list page, the home page lists every page; a JSON search index holds
# every page's plain text; .md links are rewritten to the page URLs; code is highlighted (Hugo's default).
HUGO_LAYOUTS = {
    "_default/baseof.html": """<!doctype html><html><head><meta charset="utf-8"><title>{{ .Title }} · {{ .Site.Title }}</title>
<link rel="stylesheet" href="{{ "style.css" | relURL }}"></head><body>
<aside><a href="{{ "index.html" | relURL }}">{{ .Site.Title }}</a>{{ block "sidebar" . }}{{ end }}</aside>
<main>{{ block "main" . }}{{ end }}</main></body></html>
""",
    "_default/single.html": """{{ define "sidebar" }}<ul>{{ $cur := . }}{{ range first 40 .CurrentSection.RegularPages }}<li><a href="{{ .RelPermalink }}"{{ if eq . $cur }} aria-current="page"{{ end }}>{{ .Title }}</a></li>{{ end }}</ul>{{ end }}
{{ define "main" }}<h1>{{ .Title }}</h1><nav class="toc">{{ .TableOfContents }}</nav>{{ .Content }}{{ end }}
""",
    "_default/list.html": """{{ define "sidebar" }}<ul>{{ range .Sections }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}
{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range .RegularPages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a><p>{{ .Summary | plainify | truncate 160 }}</p></li>{{ end }}</ul>{{ end }}
""",
    "index.html": """{{ define "main" }}<h1>{{ .Site.Title }}</h1><ul>{{ range .Site.Sections }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>
<ul>{{ range .Site.RegularPages.ByTitle }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}
""",
    "index.json": """{{- $pages := slice -}}{{- range .Site.RegularPages -}}{{- $pages = $pages | append (dict "title" .Title "url" .RelPermalink "text" .Plain) -}}{{- end -}}{{- $pages | jsonify -}}
""",
    "_default/_markup/render-link.html": """{{- $d := .Destination -}}{{- if and (not (strings.HasPrefix $d "http")) (strings.Contains $d ".md") -}}{{- $d = replaceRE `\\.md(#|$)` ".html$1" $d -}}{{- end -}}<a href="{{ $d | safeURL }}"{{ with .Title }} title="{{ . }}"{{ end }}>{{ .Text | safeHTML }}</a>""",
}


def shots_for(index):
    return [index % SCREENSHOTS, (index * 7 + 3) % SCREENSHOTS]


def prepare(scratch, corpus, name):
    root = os.path.join(scratch, "corpora", name)
    stamp = os.path.join(root, ".prepared")
    if os.path.exists(stamp) and open(stamp).read() == VERSION:
        print(f"prepare: {name}: up to date in {root}")
        return
    shutil.rmtree(root, ignore_errors=True)
    notes, licences = plan(corpus, name)
    shots = name == "shots"
    ns, hugo, mdb = (os.path.join(root, t) for t in ("notesite", "hugo", "mdbook"))
    write(os.path.join(ns, "notesite.toml"), f'title = "bench {name}"\n')
    os.makedirs(os.path.join(ns, "img"), exist_ok=True)
    write(os.path.join(hugo, "config.toml"), HUGO_CONFIG)
    for rel, text in HUGO_LAYOUTS.items():
        write(os.path.join(hugo, "layouts", rel), text)
    write(os.path.join(hugo, "static", "style.css"), "body{font-family:sans-serif}\n")
    write(os.path.join(mdb, "book.toml"), f'[book]\ntitle = "bench {name}"\nsrc = "src"\n\n[output.html.search]\nenable = true\n')
    summary = ["# Summary\n"]
    part = None
    sections = set()
    for index, (rel, file, text, title) in enumerate(notes):
        depth = rel.count("/") + 1
        ns_text, hugo_text, mdb_text = text, text, text
        if shots:
            a, b = shots_for(index)
            refs = lambda fmt: "\n\n" + "\n\n".join(fmt.format(n=n) for n in (a, b)) + "\n"
            ns_text += refs("![Screenshot {n}](shot-{n:03}.png)")
            hugo_text += refs("![Screenshot {n}](/img/shot-{n:03}.png)")
            mdb_text += refs("![Screenshot {n}](" + "../" * depth + "img/shot-{n:03}.png)")
        write(os.path.join(ns, "notes", rel, file), ns_text)
        write(os.path.join(mdb, "src", rel, file), mdb_text)
        write(os.path.join(hugo, "content", rel, file), f"---\ntitle: {json.dumps(title)}\n---\n{hugo_text}")
        # Hugo makes a folder a (nested) section only when it has an _index.md.
        parts = rel.split("/")
        for i in range(1, len(parts) + 1):
            sec = "/".join(parts[:i])
            if sec not in sections:
                sections.add(sec)
                write(os.path.join(hugo, "content", sec, "_index.md"), f"---\ntitle: {json.dumps(sec)}\n---\n")
        if rel != part:
            part = rel
            summary.append(f"\n# {rel}\n\n")
        link_title = title.replace("[", "\\[").replace("]", "\\]")
        summary.append(f"- [{link_title}]({rel}/{file})\n")
    write(os.path.join(mdb, "src", "SUMMARY.md"), "".join(summary))
    for rel, path in licences:
        for base in (os.path.join(ns, "notes"), os.path.join(mdb, "src"), os.path.join(hugo, "content")):
            os.makedirs(os.path.join(base, rel), exist_ok=True)
            shutil.copy(path, os.path.join(base, rel, os.path.basename(path)))
    if shots:
        cache = os.path.join(scratch, "screenshots")
        make_screenshots(cache)
        for dest in (os.path.join(ns, "img"), os.path.join(hugo, "static", "img"), os.path.join(mdb, "src", "img")):
            os.makedirs(dest, exist_ok=True)
            for f in os.listdir(cache):
                os.link(os.path.join(cache, f), os.path.join(dest, f))
    write(stamp, VERSION)
    print(f"prepare: {name}: {len(notes)} notes in {root}")


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    scratch, corpus = sys.argv[1], sys.argv[2]
    for name in sys.argv[3:]:
        if name not in SIZES:
            sys.exit(f"prepare: unknown corpus {name!r}; known: {', '.join(SIZES)}")
        prepare(scratch, corpus, name)


if __name__ == "__main__":
    main()

//! `notesite init DIR`: scaffolds a new notes site (notesite.toml, notes/welcome.md, img/).

use anyhow::Context as _;
use std::path::Path;

use super::{Failure, Outcome};
use crate::cli::InitArgs;
use crate::config::CONFIG_FILE;

const WELCOME: &str = "---
title: Welcome
description: Your first note. Edit it, or add more with `notesite new \"Title\"`.
topics: [getting-started]
---

Notes are Markdown files in `notes/`. Screenshots go in `img/` and are embedded with
`![what it shows](../img/screenshot.png)`.

## Linking notes

Link to another note by its file, `[text](other-note.md#a-heading)`, or by its title, `[[Other note]]`.
Give notes `topics` in their front matter and they are grouped on topic pages.

## Building

```sh
notesite build     # writes the site to public/
notesite check     # lists broken links and missing screenshots
```
";

pub fn run(args: &InitArgs) -> Result<Outcome, Failure> {
    let dir = &args.dir;
    for existing in [CONFIG_FILE, "notes"] {
        if dir.join(existing).exists() {
            return Err(Failure::Usage(format!(
                "`{}` already exists; init does not overwrite a site",
                dir.join(existing).display()
            )));
        }
    }
    let title = dir
        .canonicalize()
        .ok()
        .or_else(|| std::path::absolute(dir).ok())
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "Notes".into());
    write(dir, CONFIG_FILE, &config_text(&title))?;
    write(dir, "notes/welcome.md", WELCOME)?;
    write(dir, "img/.gitkeep", "")?;
    write(dir, ".gitignore", "/public/\n/.notesite-cache/\n")?;
    eprintln!(
        "Created a notes site in {}\nNext: cd {} && notesite build",
        dir.display(),
        dir.display()
    );
    Ok(Outcome::Success)
}

fn config_text(title: &str) -> String {
    let title = title.replace('\\', "\\\\").replace('"', "\\\"");
    format!(
        "# notesite configuration; every key is optional.\ntitle = \"{title}\"\ndescription = \"\"\n# base_url = \"https://notes.example.com\"  # only for sitemap.xml and canonical links\n# pretty_urls = false\n"
    )
}

fn write(dir: &Path, rel: &str, text: &str) -> Result<(), Failure> {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

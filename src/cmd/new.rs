//! `notesite new "Title"`: creates `notes/<slug>.md` with front matter; never overwrites.

use anyhow::Context as _;
use std::io::Write as _;

use super::{Failure, Outcome};
use crate::cli::NewArgs;
use crate::config::Config;
use crate::urls::slugify;

pub fn run(args: &NewArgs) -> Result<Outcome, Failure> {
    let config = Config::load(&args.root.root)?;
    let title = args.title.trim();
    if title.is_empty() {
        return Err(Failure::Usage("the title must not be empty".into()));
    }
    let path = config.notes_dir.join(format!("{}.md", slugify(title)));
    std::fs::create_dir_all(&config.notes_dir)
        .with_context(|| format!("cannot create {}", config.notes_dir.display()))?;
    let mut file = match std::fs::File::options()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Failure::Usage(format!(
                "`{}` already exists; choose another title or edit that note",
                path.display()
            )));
        }
        Err(e) => {
            return Err(anyhow::Error::new(e)
                .context(format!("cannot create {}", path.display()))
                .into())
        }
    };
    file.write_all(front_matter(title, &args.topics, &today()).as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    println!("{}", path.display());
    Ok(Outcome::Success)
}

fn front_matter(title: &str, topics: &[String], date: &str) -> String {
    let quoted = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let topics: Vec<String> = topics.iter().map(|t| quoted(t.trim())).collect();
    format!(
        "---\ntitle: {}\ntopics: [{}]\ndate: {date}\n---\n\n",
        quoted(title),
        topics.join(", ")
    )
}

/// Today's date (UTC) as `YYYY-MM-DD`, from the days since 1970 (Howard Hinnant's civil-from-days).
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date((secs / 86_400) as i64)
}

fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(19_723), "2024-01-01");
        assert_eq!(civil_date(20_784), "2026-11-27");
    }

    #[test]
    fn front_matter_quotes_title_and_topics() {
        let text = front_matter(
            "Say \"hi\": now",
            &["aws".into(), "a, b".into()],
            "2026-01-02",
        );
        let split = crate::parse::frontmatter::split(&text);
        assert!(split.issues.is_empty(), "{:?}", split.issues);
        assert_eq!(split.front.title.as_deref(), Some("Say \"hi\": now"));
        assert_eq!(split.front.date.as_deref(), Some("2026-01-02"));
    }
}

//! Text inside screenshots: runs the `tesseract` program on an image's bytes (stdin → stdout) and tidies
//! what it prints. `images::load` caches the result by content hash, so each screenshot is read once.
//!
//! The program is found on `PATH`, or named by `NOTESITE_TESSERACT` (a custom install; tests also use it
//! to simulate a machine without tesseract).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Environment variable naming the tesseract program to run instead of `tesseract` on `PATH`.
pub const PROGRAM_ENV: &str = "NOTESITE_TESSERACT";

/// A working tesseract, with what the cache key needs to know about it.
#[derive(Debug, Clone)]
pub struct Ocr {
    program: PathBuf,
    /// `tesseract 5.3.0`: part of the cache key, so an upgrade reads every screenshot again.
    version: String,
    lang: String,
}

impl Ocr {
    /// Finds tesseract (`NOTESITE_TESSERACT`, else `PATH`) and asks its version; the error says why
    /// OCR is off.
    pub fn detect(lang: &str) -> Result<Ocr, String> {
        let program = std::env::var_os(PROGRAM_ENV)
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("tesseract"));
        Ocr::detect_program(program, lang)
    }

    fn detect_program(program: PathBuf, lang: &str) -> Result<Ocr, String> {
        let output = Command::new(&program)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("`{}` could not be run: {e}", program.display()))?;
        // Old versions print the version on stderr.
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let version = text
            .lines()
            .find(|l| l.to_lowercase().starts_with("tesseract"))
            .map(str::trim)
            .map(str::to_string);
        match version {
            Some(version) if output.status.success() => Ok(Ocr {
                program,
                version,
                lang: lang.to_string(),
            }),
            _ => Err(format!(
                "`{} --version` did not answer like tesseract",
                program.display()
            )),
        }
    }

    /// The cache operation: everything that changes the text read.
    pub fn op(&self) -> String {
        format!("ocr {} lang={} psm=3 gray-png", self.version, self.lang)
    }

    /// The text tesseract reads in `image` (PNG, JPEG, GIF, BMP or WebP bytes), tidied.
    pub fn read(&self, image: &[u8]) -> Result<String, String> {
        let mut child = Command::new(&self.program)
            .args(["stdin", "stdout", "-l", &self.lang, "--psm", "3"])
            // One thread per process: the build already runs one process per core.
            .env("OMP_THREAD_LIMIT", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run tesseract: {e}"))?;
        let mut stdin = child.stdin.take().ok_or("tesseract has no stdin")?;
        let bytes = image.to_vec();
        // Written on a thread: tesseract may start printing before it has read everything.
        let writer = std::thread::spawn(move || stdin.write_all(&bytes));
        let output = child
            .wait_with_output()
            .map_err(|e| format!("tesseract failed: {e}"))?;
        let _ = writer.join();
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let reason = stderr.lines().last().unwrap_or("").trim();
            return Err(format!("tesseract failed ({}): {reason}", output.status));
        }
        Ok(tidy(&String::from_utf8_lossy(&output.stdout)))
    }
}

/// Trims every line, keeps at most one empty line in a row, and drops text with no letter or digit in
/// it (what tesseract prints for a picture without text).
pub fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = true;
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            if !blank {
                out.push('\n');
            }
            blank = true;
            continue;
        }
        out.push_str(line);
        out.push('\n');
        blank = false;
    }
    let out = out.trim().replace('\u{c}', "");
    let meaningful = out.chars().filter(|c| c.is_alphanumeric()).count() >= 3;
    if meaningful {
        out
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidy_collapses_blank_lines_and_drops_noise() {
        assert_eq!(
            tidy("  aws s3 sync \n\n\n ./public  \n\u{c}"),
            "aws s3 sync\n\n./public"
        );
        assert_eq!(tidy(" — ' \n\n"), "");
    }

    #[test]
    fn a_missing_program_is_an_error_not_a_panic() {
        let error = Ocr::detect_program("/nonexistent/tesseract".into(), "eng").unwrap_err();
        assert!(error.contains("could not be run"), "{error}");
    }
}

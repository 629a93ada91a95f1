//! Tests that need a tool `.ci/run` installs or starts (Chromium, node, tesseract, moto) skip with a
//! line saying so on a developer's machine. `.ci/run` sets `NOTESITE_REQUIRE_TOOLS=1`, and there a
//! missing tool fails the test instead: CI never passes by skipping.

/// Reports a missing tool: a failure under `.ci/run`, otherwise a line saying the test is skipped.
pub fn missing_tool(why: &str) {
    if std::env::var_os("NOTESITE_REQUIRE_TOOLS").is_some_and(|v| v == "1") {
        panic!("{why} (NOTESITE_REQUIRE_TOOLS=1: .ci/run installs and starts every tool the tests need)");
    }
    eprintln!("SKIPPED: {why}");
}

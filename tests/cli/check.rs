//! `notesite check`: the whole build without writing; `--json` is a contract for CI scripts.

use serde_json::Value;

use crate::util::Site;

/// The diagnostic of `kind` in a `check --json` report.
fn diagnostic<'r>(report: &'r Value, kind: &str) -> &'r Value {
    report["diagnostics"]
        .as_array()
        .expect("diagnostics is an array")
        .iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no `{kind}` diagnostic in {report:#}"))
}

#[test]
fn check_json_reports_each_problem_with_its_position_and_a_hint() {
    let site = Site::from_fixture("check-broken");
    let out = site.run(&["check", "--json"]).expect_code(1);
    let report: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", out.stdout));
    assert_eq!(report["ok"], false);
    for (kind, line, column) in [
        ("broken-link", 8, 10),
        ("broken-fragment", 10, 10),
        ("missing-image", 12, 1),
    ] {
        let d = diagnostic(&report, kind);
        assert_eq!(d["path"], "notes/a.md", "{d:#}");
        assert_eq!(
            (d["line"].as_u64(), d["column"].as_u64()),
            (Some(line), Some(column)),
            "{d:#}"
        );
        assert!(
            d["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{d:#}"
        );
        assert!(
            d["hint"].as_str().is_some_and(|h| !h.is_empty()),
            "{kind} has no hint: {d:#}"
        );
    }
    // The good links of the fixture are not reported.
    assert_eq!(
        report["diagnostics"].as_array().unwrap().len(),
        3,
        "{report:#}"
    );
}

#[test]
fn check_writes_nothing() {
    let site = Site::from_fixture("check-broken");
    let before = site.snapshot_all();
    site.run(&["check"])
        .expect_code(1)
        .stderr_has("notes/a.md:8:10: warning: broken link");
    before.assert_same(&site.snapshot_all(), "files after check");
    assert!(!site.exists("public"));
}

#[test]
fn check_of_a_clean_site_is_ok() {
    let site = Site::from_fixture("check-broken");
    site.file(
        "notes/a.md",
        "---\ntitle: A\ntopics: [t]\n---\n\nOnly [b](b.md).\n",
    );
    let out = site.run(&["check", "--json"]).expect_code(0);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["ok"], true, "{report:#}");
    assert_eq!(report["diagnostics"], Value::Array(Vec::new()));
}

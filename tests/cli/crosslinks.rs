//! Cross-linking by topic: wikilinks in every form, ambiguous and missing targets, repeated headings,
//! wikilinks inside code, topics differing in case, nested topics, a private note; backlinks, related
//! notes, navigation and topic pages, checked in the built HTML.

use crate::links::{assert_links_ok, note_content};
use crate::util::{Site, Snapshot};

fn built() -> (Site, crate::util::Output) {
    let site = Site::from_fixture("crosslinks");
    let output = site.run(&["build"]).expect_code(0);
    (site, output)
}

/// The HTML of the section with `id` (up to its closing `</section>`).
fn section<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let end = page[start..]
        .find("</section>")
        .map_or(page.len(), |e| start + e);
    &page[start..end]
}

#[test]
fn wikilinks_resolve_in_every_form_and_code_is_left_alone() {
    let (site, _) = built();
    let page = site.read("public/notes/iam.html");
    let body = note_content(&page);
    assert!(
        body.contains("<a href=\"../notes/ec2.html\">EC2</a>"),
        "[[EC2]]"
    );
    assert!(
        body.contains("<a href=\"../notes/ec2.html#key-pair\">key pairs</a>"),
        "[[EC2#Key Pair|key pairs]]"
    );
    assert!(
        body.contains("<a href=\"../notes/ec2.html#user-data\">"),
        "[[ec2#user-data]] by file stem"
    );
    assert!(
        body.contains("<code>[[EC2]]</code>"),
        "a wikilink in a code span stays text"
    );
    assert!(
        body.contains("[[Nowhere]]"),
        "a wikilink in a code block stays text"
    );
    let broken = body
        .split("class=\"broken-link\"")
        .nth(1)
        .expect("a broken link");
    assert!(
        broken.contains(">Lamda</a>") || broken.contains("Lamda"),
        "{broken}"
    );
    let broken_tag = &body[body.find("<a class=\"broken-link\"").unwrap()..];
    assert!(
        !broken_tag[..broken_tag.find('>').unwrap()].contains("href"),
        "broken links have no href"
    );
    // Repeated heading names get unique ids.
    assert!(page.contains("id=\"roles\"") && page.contains("id=\"roles-1\""));
    // An alias resolves: EC2 links to IAM through "Identity and Access Management".
    let ec2 = site.read("public/notes/ec2.html");
    assert!(note_content(&ec2).contains("<a href=\"../notes/iam.html\">IAM roles</a>"));
    assert_links_ok(&site, "public", false);
}

#[test]
fn missing_and_ambiguous_targets_are_reported_with_line_and_suggestion() {
    let (_, output) = built();
    let stderr = &output.stderr;
    let missing = stderr
        .lines()
        .find(|l| l.contains("Lamda"))
        .expect("the missing wikilink is reported");
    assert!(missing.starts_with("notes/iam.md:23:"), "{missing}");
    assert!(stderr.contains("did you mean `Lambda`"), "{stderr}");
    let ambiguous = stderr
        .lines()
        .find(|l| l.contains("ambiguous"))
        .expect("the ambiguous wikilink");
    assert!(ambiguous.starts_with("notes/iam.md:23:"), "{ambiguous}");
    assert!(
        ambiguous.contains("notes/aws/setup.md") && ambiguous.contains("notes/guides/setup.md"),
        "{ambiguous}"
    );
}

#[test]
fn the_private_note_is_in_no_output_and_links_to_it_are_plain_text() {
    let (site, _) = built();
    assert!(!site.exists("public/notes/secret.html"));
    let iam = site.read("public/notes/iam.html");
    assert!(
        iam.contains("<span class=\"private-link\">Secret plans</span>"),
        "a plain-text stand-in"
    );
    for (name, bytes) in Snapshot::of(&site.path("public")).0 {
        let text = String::from_utf8_lossy(&bytes);
        for leak in ["zanzibar", "Secret plans</a>", "secret.html"] {
            assert!(
                !text.contains(leak),
                "{name} leaks the private note ({leak})"
            );
        }
    }
    assert!(
        !section(&iam, "backlinks").contains("Secret"),
        "no backlink from the private note"
    );
}

#[test]
fn backlinks_list_every_linking_note_with_its_sentence() {
    let (site, _) = built();
    let ec2 = site.read("public/notes/ec2.html");
    let backlinks = section(&ec2, "backlinks");
    assert!(
        backlinks.contains("../notes/iam.html") && backlinks.contains("../notes/s3.html"),
        "{backlinks}"
    );
    assert!(
        backlinks.contains("A role is assumed by EC2 instances"),
        "the sentence around the link: {backlinks}"
    );
    let iam = site.read("public/notes/iam.html");
    let backlinks = section(&iam, "backlinks");
    assert!(
        backlinks.contains("../notes/ec2.html") && backlinks.contains("../notes/s3.html"),
        "{backlinks}"
    );
}

#[test]
fn related_notes_exclude_linked_ones_and_give_a_reason() {
    let (site, _) = built();
    let lambda = site.read("public/notes/lambda.html");
    let related = section(&lambda, "related");
    assert!(
        related.contains("../notes/ec2.html"),
        "lambda and ec2 share aws/compute: {related}"
    );
    assert!(related.contains("shares compute"), "{related}");
    let iam = site.read("public/notes/iam.html");
    let related = section(&iam, "related");
    assert!(
        !related.contains("../notes/ec2.html") && !related.contains("../notes/s3.html"),
        "already linked: {related}"
    );
    // Deterministic: a second build gives the same pages.
    let again = Site::from_fixture("crosslinks");
    again.run(&["build"]).expect_code(0);
    assert_eq!(again.read("public/notes/iam.html"), iam);
}

#[test]
fn topics_merge_case_nest_and_get_pages_navigation_and_a_map() {
    let (site, _) = built();
    let index = site.read("public/topics/index.html");
    // "aws" is written three times in lower case and once as "AWS": the common spelling wins.
    assert!(
        index.contains(">aws<") && !index.contains(">AWS<"),
        "most common spelling"
    );
    assert!(index.contains(">security<") && !index.contains(">Security<"));
    assert!(index.contains("<svg"), "the topic map");
    assert!(
        index.contains("href=\"../topics/aws/compute.html\""),
        "map and list link topic pages"
    );
    let aws = site.read("public/topics/aws.html");
    for sub in ["compute", "iam", "storage"] {
        assert!(
            aws.contains(&format!("topics/aws/{sub}.html")),
            "aws lists sub-topic {sub}"
        );
    }
    let compute = site.read("public/topics/aws/compute.html");
    assert!(
        compute.contains("../../notes/ec2.html") && compute.contains("../../notes/lambda.html")
    );
    // Previous/next within the first topic, by weight then title; breadcrumbs follow the topic path.
    let ec2 = site.read("public/notes/ec2.html");
    assert!(
        ec2.contains("href=\"../notes/lambda.html\" rel=\"next\""),
        "next is Lambda"
    );
    let iam = site.read("public/notes/iam.html");
    assert!(
        iam.contains("../topics/aws.html") && iam.contains("../topics/aws/iam.html"),
        "breadcrumbs"
    );
}

#[test]
fn check_reports_each_broken_form_the_same_way() {
    let site = Site::from_fixture("crosslinks");
    let output = site.run(&["check", "--json"]).expect_code(1);
    let report: serde_json::Value = serde_json::from_str(&output.stdout).expect("JSON");
    let kinds: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"broken-link") && kinds.contains(&"ambiguous-link"),
        "{kinds:?}"
    );
    for d in report["diagnostics"].as_array().unwrap() {
        assert!(
            d["line"].as_u64().unwrap() > 0 && d["column"].as_u64().unwrap() > 0,
            "{d}"
        );
    }
    assert_eq!(report["notes_without_topics"].as_array().unwrap().len(), 0);
}

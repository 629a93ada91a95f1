//! Part of the render stage: the default sidebar (`nav_html`) as HTML, made in Rust rather than by a
//! loop in `base.html`.

use std::fmt::Write as _;

use super::views::NavTopic;
use crate::highlight::push_escaped;

/// The default sidebar's topics (`nav`), each with its notes: what a loop over `nav` in `base.html`
/// made, built here for the reason [`Views::nav_items_html`] gives (the loop's lookups were 1% of a
/// build). `shown_url`: the URL of the topic a topic page shows, marked as the current page.
///
/// [`Views::nav_items_html`]: super::views::Views::nav_items_html
pub fn nav_html(nav: &[NavTopic<'_>], root: &str, shown_url: Option<&str>) -> String {
    let mut html = String::with_capacity(nav.iter().map(|t| t.notes_html.len() + 400).sum());
    for topic in nav {
        html.push_str("\n        <li class=\"nav-topic");
        if topic.current {
            html.push_str(" is-current");
        }
        html.push('"');
        if topic.depth > 0 {
            let _ = write!(html, " style=\"--depth: {}\"", topic.depth);
        }
        html.push('>');
        let link = TopicLink {
            topic,
            root,
            current_page: shown_url == Some(topic.url.as_str()),
        };
        // `notes_html` holds an item per shown note (`notes` may be left empty).
        if topic.notes_html.is_empty() {
            html.push_str("\n          <a class=\"nav-topic-link\"");
            link.push_opened(&mut html);
            link.push_count(&mut html);
            html.push_str("</a>");
        } else {
            push_expanded(&mut html, &link);
        }
        html.push_str("\n        </li>");
    }
    html
}

/// A topic's link in the sidebar, from the `href` on.
struct TopicLink<'t> {
    topic: &'t NavTopic<'t>,
    root: &'t str,
    current_page: bool,
}

impl TopicLink<'_> {
    fn push_href(&self, html: &mut String) {
        html.push_str(" href=\"");
        push_escaped(html, self.root);
        push_escaped(html, &self.topic.url);
        html.push('"');
    }

    /// The `href` (and `aria-current`) attributes, the tag's end and the topic's name.
    fn push_opened(&self, html: &mut String) {
        self.push_href(html);
        if self.current_page {
            html.push_str(" aria-current=\"page\"");
        }
        html.push('>');
        push_escaped(html, self.topic.name);
    }

    fn push_count(&self, html: &mut String) {
        let _ = write!(html, "<span class=\"count\">{}</span>", self.topic.count);
    }
}

/// A topic whose notes are listed: a `<details>` with the link as its summary.
fn push_expanded(html: &mut String, link: &TopicLink<'_>) {
    let topic = link.topic;
    html.push_str("\n          <details");
    if topic.current {
        html.push_str(" open");
    }
    html.push_str(">\n            <summary><a");
    link.push_opened(html);
    html.push_str("</a>");
    link.push_count(html);
    html.push_str("</summary>");
    html.push_str("\n            <ul class=\"nav-notes\">");
    html.push_str(&topic.notes_html);
    if topic.more > 0 {
        html.push_str("\n              <li class=\"nav-more\"><a");
        link.push_href(html);
        let _ = write!(html, ">… {} more</a></li>", topic.more);
    }
    html.push_str("\n            </ul>\n          </details>");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The loop `base.html` ran over `nav` before `nav_html` replaced it.
    const OLD_LOOP: &str = r#"{%- for t in nav %}
        <li class="nav-topic{% if t.current %} is-current{% endif %}"{% if t.depth %} style="--depth: {{ t.depth }}"{% endif %}>
        {%- if t.notes | length > 0 %}
          <details{% if t.current %} open{% endif %}>
            <summary><a href="{{ root }}{{ t.url }}"{% if page_kind == "topic" and topic.url == t.url %} aria-current="page"{% endif %}>{{ t.name }}</a><span class="count">{{ t.count }}</span></summary>
            <ul class="nav-notes">{{ t.notes_html | safe }}
            {%- if t.more %}
              <li class="nav-more"><a href="{{ root }}{{ t.url }}">… {{ t.more }} more</a></li>
            {%- endif %}
            </ul>
          </details>
        {%- else %}
          <a class="nav-topic-link" href="{{ root }}{{ t.url }}"{% if page_kind == "topic" and topic.url == t.url %} aria-current="page"{% endif %}>{{ t.name }}<span class="count">{{ t.count }}</span></a>
        {%- endif %}
        </li>
      {%- endfor %}"#;

    fn topic<'a>(
        name: &'a str,
        url: &str,
        depth: usize,
        current: bool,
        more: usize,
    ) -> NavTopic<'a> {
        let notes = if current {
            vec![super::super::views::NavNote {
                title: "n",
                url: "notes/n.html",
                current: true,
            }]
        } else {
            Vec::new()
        };
        NavTopic {
            name,
            url: url.to_string(),
            count: 3 + more,
            depth,
            current,
            notes_html: if current {
                "\n<li>n</li>".into()
            } else {
                String::new()
            },
            notes,
            more,
        }
    }

    #[test]
    fn nav_html_is_what_the_template_loop_wrote() {
        let nav = vec![
            topic("AWS & <co>", "topics/aws.html", 0, true, 0),
            topic("iam", "topics/aws/iam.html", 1, true, 7),
            topic("s3 \"x\"", "topics/s3.html", 0, false, 0),
        ];
        let mut tera = tera::Tera::default();
        tera.set_escape_fn(crate::highlight::escape);
        tera.add_raw_template("nav.html", OLD_LOOP).unwrap();
        for (root, kind, shown) in [
            ("../", "note", None),
            ("../", "topic", Some("topics/aws/iam.html")),
            ("", "topic", Some("topics/s3.html")),
        ] {
            let mut context = tera::Context::new();
            context.insert("nav", &nav);
            context.insert("root", root);
            context.insert("page_kind", kind);
            context.insert("topic", &serde_json::json!({ "url": shown }));
            let expected = tera.render("nav.html", &context).unwrap();
            assert_eq!(nav_html(&nav, root, shown), expected, "{kind} {shown:?}");
        }
    }
}

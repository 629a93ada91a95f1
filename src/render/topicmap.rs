//! The topic map: a static SVG drawn at build time (no JS graph library). Topics are nodes sized by note
//! count, edges are weighted by shared notes, every node links to its topic page. The layout is a
//! force-directed one started from a circle and run for a fixed number of steps: no randomness, so the
//! same site always gives the same picture.

use std::fmt::Write as _;

use crate::graph::Site;
use crate::highlight::escape;

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 640.0;
const MARGIN: f64 = 70.0;

/// The SVG for `topics/index.html`, whose root prefix is `root`.
pub fn topic_map(site: &Site, root: &str) -> String {
    let topics = &site.topics.list;
    if topics.is_empty() {
        return String::new();
    }
    let edges = edges(site);
    let positions = layout(topics.len(), &edges);
    let radius = |count: usize| 5.0 + 3.5 * (count as f64).sqrt();
    let max_weight = edges.iter().map(|e| e.2).max().unwrap_or(1) as f64;
    let mut svg = format!(
        "<svg class=\"topic-map-svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" aria-label=\"Map of {} topics\" xmlns=\"http://www.w3.org/2000/svg\">\n<g class=\"edges\" stroke=\"#8a94a6\" stroke-opacity=\"0.55\" stroke-linecap=\"round\">\n",
        topics.len()
    );
    for &(a, b, weight) in &edges {
        let (pa, pb) = (positions[a], positions[b]);
        let width = 0.75 + 3.0 * weight as f64 / max_weight;
        let _ = writeln!(svg, "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke-width=\"{width:.2}\"><title>{} notes shared</title></line>", pa.0, pa.1, pb.0, pb.1, weight);
    }
    // Presentation attributes give a readable default; the theme's CSS may restyle them.
    svg.push_str("</g>\n<g class=\"nodes\" fill=\"#2563eb\" font-size=\"13\">\n");
    for (id, topic) in topics.iter().enumerate() {
        let (x, y) = positions[id];
        let r = radius(topic.count);
        let href = format!("{root}{}", site.urls.topic_url(&topic.slug));
        let _ = writeln!(
            svg,
            "<a href=\"{}\"><title>{}: {} notes</title><circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r:.1}\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"currentColor\">{}</text></a>",
            escape(&href),
            escape(&topic.full_name),
            topic.count,
            y + r + 13.0,
            escape(&topic.name)
        );
    }
    svg.push_str("</g>\n</svg>\n");
    svg
}

/// (topic, topic, shared notes): topics sharing notes, plus each sub-topic with its parent.
fn edges(site: &Site) -> Vec<(usize, usize, usize)> {
    let topics = &site.topics;
    let mut edges = Vec::new();
    for a in 0..topics.list.len() {
        for (b, shared) in topics.cooccurring(a) {
            if a < b {
                edges.push((a, b, shared));
            }
        }
        if let Some(parent) = topics.list[a].parent {
            edges.push((parent.min(a), parent.max(a), topics.list[a].count.max(1)));
        }
    }
    edges.sort_unstable();
    edges.dedup_by_key(|e| (e.0, e.1));
    edges
}

/// Fruchterman–Reingold from a circle, with a cooling schedule; fewer steps for very large maps.
fn layout(n: usize, edges: &[(usize, usize, usize)]) -> Vec<(f64, f64)> {
    let (cx, cy) = (WIDTH / 2.0, HEIGHT / 2.0);
    let mut pos: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let angle = i as f64 / n as f64 * std::f64::consts::TAU;
            (
                cx + 0.35 * WIDTH * angle.cos(),
                cy + 0.35 * HEIGHT * angle.sin(),
            )
        })
        .collect();
    let k = ((WIDTH - 2.0 * MARGIN) * (HEIGHT - 2.0 * MARGIN) / n as f64).sqrt();
    let steps = (4_000_000 / (n * n).max(1)).clamp(30, 300);
    for step in 0..steps {
        let temperature = 0.1 * WIDTH * (1.0 - step as f64 / steps as f64);
        let mut shift = vec![(0.0f64, 0.0f64); n];
        for i in 0..n {
            for j in i + 1..n {
                let (dx, dy) = (pos[i].0 - pos[j].0, pos[i].1 - pos[j].1);
                let d2 = (dx * dx + dy * dy).max(0.01);
                let force = k * k / d2;
                shift[i].0 += dx * force;
                shift[i].1 += dy * force;
                shift[j].0 -= dx * force;
                shift[j].1 -= dy * force;
            }
        }
        for &(a, b, weight) in edges {
            let (dx, dy) = (pos[a].0 - pos[b].0, pos[a].1 - pos[b].1);
            let d = (dx * dx + dy * dy).sqrt().max(0.1);
            let force = d / k * (1.0 + (weight as f64).ln());
            shift[a].0 -= dx * force;
            shift[a].1 -= dy * force;
            shift[b].0 += dx * force;
            shift[b].1 += dy * force;
        }
        // A weak pull to the centre keeps unconnected topics on the canvas.
        for (p, s) in pos.iter_mut().zip(&shift) {
            let (sx, sy) = (s.0 + (cx - p.0) * 0.05, s.1 + (cy - p.1) * 0.05);
            let len = (sx * sx + sy * sy).sqrt().max(0.01);
            let step_len = len.min(temperature);
            p.0 = (p.0 + sx / len * step_len).clamp(MARGIN, WIDTH - MARGIN);
            p.1 = (p.1 + sy / len * step_len).clamp(MARGIN / 2.0, HEIGHT - MARGIN);
        }
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_deterministic_and_on_canvas() {
        let edges = vec![(0, 1, 3), (1, 2, 1), (3, 4, 2)];
        let a = layout(100, &edges);
        assert_eq!(a, layout(100, &edges));
        assert!(a
            .iter()
            .all(|&(x, y)| (0.0..=WIDTH).contains(&x) && (0.0..=HEIGHT).contains(&y)));
        // Connected topics end up closer than the average pair.
        let d = |p: (f64, f64), q: (f64, f64)| ((p.0 - q.0).powi(2) + (p.1 - q.1).powi(2)).sqrt();
        assert!(d(a[0], a[1]) < d(a[0], a[50]));
    }
}

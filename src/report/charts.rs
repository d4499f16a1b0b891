//! Inline SVG charts for HTML reports: no scripts, no external requests, every label escaped.
//! They draw what the view model already holds; they compute nothing the report does not show.

use serde_json::Value;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Colour for a score on the scale: light (low) to dark blue (high), readable in print.
fn shade(score: f64, min: f64, max: f64) -> String {
    let t = if max > min {
        ((score - min) / (max - min)).clamp(0.0, 1.0)
    } else {
        0.5
    };
    let l = 92.0 - t * 52.0;
    format!("hsl(212, 60%, {l:.0}%)")
}

/// Heat map of one candidate's independent scores: questions down, panellists across.
pub fn heatmap(panellists: &[Value], rows: &[Value], min: f64, max: f64) -> String {
    let (cw, ch, left, top) = (44.0, 22.0, 250.0, 70.0);
    let w = left + cw * panellists.len() as f64 + 90.0;
    let h = top + ch * rows.len() as f64 + 10.0;
    let mut s = format!(
        r#"<svg class="heatmap" role="img" aria-label="Scores by question and panellist" viewBox="0 0 {w} {h}" width="{w}" height="{h}" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="11">"#
    );
    for (j, p) in panellists.iter().enumerate() {
        let x = left + cw * j as f64 + cw / 2.0;
        s += &format!(
            r#"<text x="{x}" y="{}" transform="rotate(-35 {x} {})" text-anchor="start">{}</text>"#,
            top - 6.0,
            top - 6.0,
            esc(p.as_str().unwrap_or(""))
        );
    }
    for (i, r) in rows.iter().enumerate() {
        let y = top + ch * i as f64;
        let q = r["question"].as_str().unwrap_or("");
        let divergent = r["divergent"].as_bool().unwrap_or(false);
        s += &format!(
            r#"<text x="{}" y="{}" text-anchor="end"{}>{}{}</text>"#,
            left - 6.0,
            y + ch * 0.68,
            if divergent {
                r#" font-weight="700""#
            } else {
                ""
            },
            esc(q),
            if divergent { " ⚠" } else { "" }
        );
        for (j, v) in r["scores"].as_array().into_iter().flatten().enumerate() {
            let score = v.as_f64().unwrap_or(min);
            let x = left + cw * j as f64;
            let t = (score - min) / (max - min).max(1.0);
            s += &format!(
                r##"<rect x="{x}" y="{y}" width="{}" height="{}" fill="{}" stroke="#fff"/><text x="{}" y="{}" text-anchor="middle" fill="{}">{}</text>"##,
                cw - 1.0,
                ch - 1.0,
                shade(score, min, max),
                x + cw / 2.0,
                y + ch * 0.68,
                if t > 0.55 { "#fff" } else { "#1d2433" },
                score
            );
        }
    }
    s + "</svg>"
}

const COLOURS: [&str; 5] = ["#1f77b4", "#d62728", "#2ca02c", "#7f7f7f", "#9467bd"];

/// Funnel: for each group, the share of its applicants reaching each stage (suppressed groups left out).
pub fn funnel(stages: &[&str], rows: &[Value]) -> String {
    // A group is drawn when its applied count is shown; a suppressed stage is simply not drawn.
    let groups: Vec<(&str, Vec<Option<f64>>)> = rows
        .iter()
        .filter_map(|r| {
            let reached: Vec<Option<f64>> = r["reached"]
                .as_array()?
                .iter()
                .map(|c| c.as_f64())
                .collect();
            let applied = (*reached.first()?)?;
            (applied > 0.0).then(|| {
                (
                    r["label"].as_str().unwrap_or(""),
                    reached.iter().map(|x| x.map(|x| x / applied)).collect(),
                )
            })
        })
        .take(5)
        .collect();
    let (w, h, left, top, bottom) = (640.0, 260.0, 50.0, 20.0, 40.0);
    let plot_h = h - top - bottom;
    let band = (w - left - 10.0) / stages.len() as f64;
    let bw = (band - 12.0) / groups.len().max(1) as f64;
    let mut s = format!(
        r#"<svg class="funnel" role="img" aria-label="Share of each group's applicants reaching each stage" viewBox="0 0 {w} {}" width="{w}" height="{}" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="11">"#,
        h + 18.0 * groups.len() as f64,
        h + 18.0 * groups.len() as f64
    );
    for k in 0..=4 {
        let y = top + plot_h * (1.0 - k as f64 / 4.0);
        s += &format!(
            r##"<line x1="{left}" x2="{}" y1="{y}" y2="{y}" stroke="#d5d9e0"/><text x="{}" y="{}" text-anchor="end">{}%</text>"##,
            w - 10.0,
            left - 4.0,
            y + 4.0,
            k * 25
        );
    }
    for (i, st) in stages.iter().enumerate() {
        let x0 = left + band * i as f64 + 6.0;
        for (g, (_, shares)) in groups.iter().enumerate() {
            let Some(v) = shares.get(i).copied().flatten() else {
                continue;
            };
            let bh = plot_h * v;
            s += &format!(
                r#"<rect x="{}" y="{}" width="{}" height="{bh}" fill="{}"><title>{:.1}%</title></rect>"#,
                x0 + bw * g as f64,
                top + plot_h - bh,
                (bw - 1.0).max(1.0),
                COLOURS[g % COLOURS.len()],
                v * 100.0
            );
        }
        s += &format!(
            r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
            x0 + (band - 12.0) / 2.0,
            h - bottom + 16.0,
            esc(st)
        );
    }
    for (g, (label, _)) in groups.iter().enumerate() {
        let x = left;
        let y = h + 4.0 + 18.0 * g as f64;
        s += &format!(
            r#"<rect x="{x}" y="{}" width="10" height="10" fill="{}"/><text x="{}" y="{}">{}</text>"#,
            y - 9.0,
            COLOURS[g % COLOURS.len()],
            x + 14.0,
            y,
            esc(label)
        );
    }
    s + "</svg>"
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labels_are_escaped_and_no_external_references() {
        let svg = heatmap(
            &[json!("<script>x</script>")],
            &[json!({"question": "q&a", "scores": [3], "divergent": true})],
            1.0,
            5.0,
        );
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("q&amp;a"));
        let f = funnel(
            &["applied", "shortlisted"],
            &[
                json!({"label": "White", "reached": [10, 5]}),
                json!({"label": "Asian", "reached": ["suppressed", 1]}),
            ],
        );
        assert!(f.contains("50.0%"));
        assert!(
            !f.contains("Asian"),
            "a group with suppressed counts is not drawn"
        );
        assert!(!f.contains("href"));
    }
}

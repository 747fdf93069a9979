//! The `report` page: one self-contained HTML file (no scripts, no external assets)
//! with the timeline SVG inline, the explanation as tables and the text report.

use super::explain::Explanation;

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Drops the XML declaration plotters puts first: it is not allowed inside HTML.
fn inline_svg(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}

const STYLE: &str = "body{font-family:sans-serif;margin:1.5em;color:#212121;max-width:1240px}\
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.6em}\
table{border-collapse:collapse;margin:.4em 0}td,th{padding:.2em .7em;vertical-align:top;text-align:left}\
tr:nth-child(even){background:#f5f5f5}td.v{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}\
td.d1{padding-left:1.8em}td.d2{padding-left:3.2em}pre{background:#fafafa;padding:.8em;overflow-x:auto}\
figure{margin:0}svg{max-width:100%;height:auto}";

/// The page: title, SVG, explanation, and `tables` (the text report) verbatim.
pub fn page(e: &Explanation, svg: &str, tables: &str) -> String {
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str(&format!("<title>{}</title>\n", escape(&e.title)));
    h.push_str(&format!("<style>{STYLE}</style>\n</head>\n<body>\n"));
    h.push_str(&format!("<h1>{}</h1>\n", escape(&e.title)));
    if !e.description.is_empty() {
        h.push_str(&format!("<p>{}</p>\n", escape(&e.description)));
    }
    h.push_str("<figure>\n");
    h.push_str(inline_svg(svg));
    h.push_str("\n</figure>\n");
    for s in &e.sections {
        h.push_str(&format!("<h2>{}</h2>\n<table>\n", escape(&s.heading)));
        for r in &s.rows {
            h.push_str(&format!(
                "<tr><td class=\"d{}\">{}</td><td class=\"v\">{}</td><td>{}</td></tr>\n",
                r.depth.min(2),
                escape(&r.label),
                escape(&r.value),
                escape(&r.note)
            ));
        }
        h.push_str("</table>\n");
    }
    h.push_str("<h2>tables</h2>\n<pre>");
    h.push_str(&escape(tables));
    h.push_str("</pre>\n</body>\n</html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_strips_the_xml_declaration() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(inline_svg("<?xml version=\"1.0\"?>\n<svg/>"), "<svg/>");
    }
}

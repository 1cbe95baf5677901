//! `scan --report report.html`: one self-contained page for people.
//!
//! A summary (how many files are likely fake, uncertain, likely real, not applicable or
//! failed), then one card per file: its verdict and fake probability (and whether that
//! probability is calibrated or a raw model output), a thumbnail with the face boxes coloured
//! by their score, the heatmaps `--heatmaps` wrote, a timeline for recordings and videos (each
//! detector's windows, the faces of each sampled frame, the whole-frame scores, with the
//! threshold and the segments over it), every detector's score, and the notes.
//!
//! Self-contained: images are embedded as `data:` URIs, charts are inline SVG, the CSS is
//! inline, and there is no script; it opens offline in any browser. All text from files
//! (paths, notes, errors) is escaped.

use std::fmt::Write;
use std::path::Path;

use base64::Engine;
use fakescope_eval::report::html::escape;
use fakescope_media::resize::{Filter, resize_rgb};
use fakescope_media::{ImageLimits, RgbImage};

use crate::report::{FileReport, MediaKind};
use crate::verdict::{Thresholds, Verdict};

/// What the page needs besides the reports.
#[derive(Debug, Clone)]
pub struct PageOptions {
    /// The page's title.
    pub title: String,
    /// The thresholds the verdicts used (drawn on the timelines).
    pub thresholds: Thresholds,
    /// Limits for decoding images again for their thumbnails.
    pub image_limits: ImageLimits,
    /// Longest side of a thumbnail, in pixels.
    pub thumbnail: u32,
}

impl Default for PageOptions {
    fn default() -> Self {
        PageOptions {
            title: "fakescope scan".into(),
            thresholds: Thresholds::default(),
            image_limits: ImageLimits::default(),
            thumbnail: 360,
        }
    }
}

const STYLE: &str = "
body { font-family: system-ui, -apple-system, 'Segoe UI', 'Noto Sans', Arial, sans-serif;
  margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; }
.summary span { display: inline-block; margin-right: 1em; }
.file { border: 1px solid #ddd; border-radius: 8px; padding: 1em; margin: 1.2em 0; }
.file h2 { font-size: 1.1em; margin: 0 0 0.5em 0; word-break: break-all; }
.badge { display: inline-block; padding: 0.15em 0.6em; border-radius: 1em; color: #fff;
  font-weight: 600; font-size: 0.9em; margin-right: 0.5em; }
.likely_fake { background: #c62828; } .uncertain { background: #ef8f00; }
.likely_real { background: #2e7d32; } .na { background: #777; } .failed { background: #333; }
.row { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; margin-top: 0.8em; }
figure { margin: 0; } figcaption { font-size: 0.85em; color: #555; }
img { border: 1px solid #ccc; max-width: 100%; }
table { border-collapse: collapse; font-size: 0.92em; }
th, td { border: 1px solid #ddd; padding: 0.2em 0.6em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #555; } .error { color: #b00; }
";

/// The page for `reports`.
pub fn render(reports: &[FileReport], options: &PageOptions) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(out, "<title>{}</title>", escape(&options.title));
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>");
    let _ = writeln!(out, "<h1>{}</h1>", escape(&options.title));
    let count = |f: &dyn Fn(&FileReport) -> bool| reports.iter().filter(|r| f(r)).count();
    let failed = count(&|r| r.error.is_some());
    let _ = writeln!(
        out,
        "<p class=\"summary\"><span><b>{}</b> files</span><span class=\"badge likely_fake\">{} likely fake</span>\
         <span class=\"badge uncertain\">{} uncertain</span><span class=\"badge likely_real\">{} likely real</span>\
         <span class=\"badge na\">{} not applicable</span><span class=\"badge failed\">{} failed</span></p>",
        reports.len(),
        count(&|r| r.error.is_none() && r.verdict == Verdict::LikelyFake),
        count(&|r| r.error.is_none() && r.verdict == Verdict::Uncertain),
        count(&|r| r.error.is_none() && r.verdict == Verdict::LikelyReal),
        count(&|r| r.error.is_none() && r.verdict == Verdict::NotApplicable),
        failed
    );
    let _ = writeln!(
        out,
        "<p class=\"note\">A verdict is likely fake at a fake probability of {:.2} or more, uncertain from {:.2}. \
         A probability marked “raw” is a model's output, not a calibrated probability: read it as a ranking, \
         not as a chance.</p>",
        options.thresholds.fake, options.thresholds.uncertain
    );
    for (i, r) in reports.iter().enumerate() {
        file_card(&mut out, i, r, options);
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn badge(r: &FileReport) -> (&'static str, &'static str) {
    if r.error.is_some() {
        return ("failed", "failed");
    }
    match r.verdict {
        Verdict::LikelyFake => ("likely_fake", "likely fake"),
        Verdict::Uncertain => ("uncertain", "uncertain"),
        Verdict::LikelyReal => ("likely_real", "likely real"),
        Verdict::NotApplicable => ("na", "n/a"),
    }
}

fn file_card(out: &mut String, index: usize, r: &FileReport, options: &PageOptions) {
    let (class, text) = badge(r);
    let _ = writeln!(
        out,
        "<section class=\"file\" id=\"file-{index}\">\n<h2><span class=\"badge {class}\">{text}</span>{}</h2>",
        escape(&r.path)
    );
    let mut line = r.media.as_str().to_string();
    if let Some(p) = r.fake_probability {
        let _ = write!(
            line,
            " · fake probability {:.3} ({})",
            p,
            if r.calibrated { "calibrated" } else { "raw" }
        );
    }
    if let Some(d) = r.duration_s {
        let _ = write!(line, " · {d:.1} s");
    }
    let _ = writeln!(out, "<p>{}</p>", escape(&line));
    if let Some(e) = &r.error {
        let _ = writeln!(out, "<p class=\"error\">{}</p>", escape(e));
    }
    if let Some(n) = &r.note {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(n));
    }

    let mut figures = String::new();
    if r.media == MediaKind::Image && r.error.is_none() {
        match thumbnail(r, options) {
            Ok(uri) => {
                let _ = writeln!(
                    figures,
                    "<figure><img alt=\"thumbnail\" src=\"{uri}\"><figcaption>faces outlined by score: red fake, green real</figcaption></figure>"
                );
            }
            Err(e) => {
                let _ = writeln!(
                    figures,
                    "<p class=\"note\">no thumbnail: {}</p>",
                    escape(&e)
                );
            }
        }
    }
    let heatmaps = r
        .faces
        .iter()
        .enumerate()
        .flat_map(|(k, f)| {
            f.detectors.iter().filter_map(move |d| {
                d.heatmap
                    .as_ref()
                    .map(|h| (format!("face {k}, {}", d.name), h))
            })
        })
        .chain(r.tracks.iter().flat_map(|t| {
            t.frames.iter().flat_map(move |f| {
                f.detectors.iter().filter_map(move |d| {
                    d.heatmap.as_ref().map(|h| {
                        (
                            format!("track {} at {:.1} s, {}", t.id, f.time_s, d.name),
                            h,
                        )
                    })
                })
            })
        }))
        .chain(r.image.iter().flat_map(|w| {
            w.detectors.iter().filter_map(|d| {
                d.heatmap
                    .as_ref()
                    .map(|h| (format!("whole image, {}", d.name), h))
            })
        }));
    for (caption, path) in heatmaps {
        // Shrunk to the size shown and embedded as JPEG: a page of many files stays small.
        let embedded = fakescope_media::decode_image(Path::new(path), &options.image_limits)
            .map_err(|e| e.to_string())
            .and_then(|img| encode_jpeg(&fit(&img, HEATMAP_SIDE).0));
        match embedded {
            Ok(uri) => {
                let _ = writeln!(
                    figures,
                    "<figure><img alt=\"heatmap\" src=\"{uri}\"><figcaption>{}</figcaption></figure>",
                    escape(&caption)
                );
            }
            Err(e) => {
                let _ = writeln!(
                    figures,
                    "<p class=\"note\">heatmap {}: {}</p>",
                    escape(path),
                    escape(&e)
                );
            }
        }
    }
    if let Some(svg) = timeline(r, options.thresholds) {
        figures.push_str(&svg);
    }
    if !figures.is_empty() {
        let _ = writeln!(out, "<div class=\"row\">\n{figures}</div>");
    }

    if !r.detectors.is_empty() {
        out.push_str("<table>\n<thead><tr><th>detector</th><th>fake probability</th><th>verdict</th></tr></thead>\n<tbody>\n");
        for d in &r.detectors {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                escape(&d.name),
                if d.fake_probability.is_finite() {
                    format!("{:.3}", d.fake_probability)
                } else {
                    "n/a".into()
                },
                d.verdict.as_str()
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</section>\n");
}

/// Longest side of an embedded heatmap, in pixels.
const HEATMAP_SIDE: u32 = 160;

/// `image` scaled down to fit `side` (never up), and the scale used.
fn fit(image: &RgbImage, side: u32) -> (RgbImage, f32) {
    let (w, h) = image.dimensions();
    let scale = (side as f32 / w.max(h).max(1) as f32).min(1.0);
    let (tw, th) = (
        ((w as f32 * scale).round() as u32).max(1),
        ((h as f32 * scale).round() as u32).max(1),
    );
    (resize_rgb(image, tw, th, Filter::Bilinear), scale)
}

/// An image as a JPEG `data:` URI.
fn encode_jpeg(image: &RgbImage) -> Result<String, String> {
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85)
        .encode_image(image)
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "data:image/jpeg;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(jpeg)
    ))
}

/// The image scaled to fit the thumbnail size, face boxes drawn, as a JPEG `data:` URI.
fn thumbnail(r: &FileReport, options: &PageOptions) -> Result<String, String> {
    let image = fakescope_media::decode_image(Path::new(&r.path), &options.image_limits)
        .map_err(|e| e.to_string())?;
    let (mut thumb, scale) = fit(&image, options.thumbnail);
    for f in &r.faces {
        if let Some([x1, y1, x2, y2]) = f.bbox {
            let red = f.fake_probability.clamp(0.0, 1.0);
            let colour = [(255.0 * red) as u8, (180.0 * (1.0 - red)) as u8, 40];
            let b = [x1 * scale, y1 * scale, x2 * scale, y2 * scale];
            draw_box(&mut thumb, b, colour);
        }
    }
    encode_jpeg(&thumb)
}

/// A 2-pixel rectangle, clipped to the image.
fn draw_box(img: &mut RgbImage, b: [f32; 4], colour: [u8; 3]) {
    let (w, h) = (img.width() as i64, img.height() as i64);
    if w == 0 || h == 0 {
        return;
    }
    let c = |v: f32, n: i64| (v.round() as i64).clamp(0, n - 1);
    let (x1, y1, x2, y2) = (c(b[0], w), c(b[1], h), c(b[2], w), c(b[3], h));
    let mut put = |x: i64, y: i64| {
        if (0..w).contains(&x) && (0..h).contains(&y) {
            img.put_pixel(x as u32, y as u32, image::Rgb(colour));
        }
    };
    for t in 0..2 {
        for x in x1..=x2 {
            put(x, y1 + t);
            put(x, y2 - t);
        }
        for y in y1..=y2 {
            put(x1 + t, y);
            put(x2 - t, y);
        }
    }
}

/// A timeline (recordings and videos): each detector's window scores, each sampled frame's
/// most suspicious face and whole-frame score, the threshold, and the segments over it.
fn timeline(r: &FileReport, thresholds: Thresholds) -> Option<String> {
    let mut lines: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for d in &r.detectors {
        if d.windows.len() > 1 {
            lines.push((
                d.name.clone(),
                d.windows
                    .iter()
                    .map(|w| ((w.start_s + w.end_s) / 2.0, w.fake_probability))
                    .collect(),
            ));
        }
    }
    let faces: Vec<(f64, f64)> = r
        .timeline
        .iter()
        .filter_map(|t| t.fake_probability.map(|p| (t.time_s, p)))
        .collect();
    if faces.len() > 1 {
        lines.push(("faces (most suspicious per frame)".into(), faces));
    }
    if let Some(w) = &r.image
        && w.frames.len() > 1
    {
        lines.push((
            "whole frames".into(),
            w.frames
                .iter()
                .map(|f| (f.time_s, f.fake_probability))
                .collect(),
        ));
    }
    if lines.is_empty() {
        return None;
    }
    let end = r
        .duration_s
        .unwrap_or(0.0)
        .max(
            lines
                .iter()
                .flat_map(|l| l.1.iter().map(|p| p.0))
                .fold(0.0, f64::max),
        )
        .max(1e-9);
    let (width, height, left, top, plot_h) = (640.0, 190.0, 40.0, 10.0, 140.0);
    let plot_w = width - left - 10.0;
    let x = |t: f64| left + plot_w * (t / end).clamp(0.0, 1.0);
    let y = |p: f64| top + plot_h * (1.0 - p.clamp(0.0, 1.0));
    let mut svg = format!(
        "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\">\n"
    );
    for s in &r.segments {
        let _ = writeln!(
            svg,
            "<rect x=\"{:.1}\" y=\"{top}\" width=\"{:.1}\" height=\"{plot_h}\" fill=\"#c62828\" fill-opacity=\"0.12\"/>",
            x(s.start_s),
            (x(s.end_s) - x(s.start_s)).max(1.0)
        );
    }
    let _ = writeln!(
        svg,
        "<rect x=\"{left}\" y=\"{top}\" width=\"{plot_w}\" height=\"{plot_h}\" fill=\"none\" stroke=\"#999\"/>\n\
         <line x1=\"{left}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#c62828\" stroke-dasharray=\"4 3\"/>\n\
         <text x=\"4\" y=\"{:.1}\" font-size=\"11\">1</text><text x=\"4\" y=\"{:.1}\" font-size=\"11\">0</text>\n\
         <text x=\"{left}\" y=\"{:.1}\" font-size=\"11\">0 s</text><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{end:.1} s</text>",
        left + plot_w,
        y(thresholds.fake),
        y(thresholds.fake),
        top + 10.0,
        top + plot_h,
        top + plot_h + 14.0,
        left + plot_w,
        top + plot_h + 14.0,
    );
    const COLOURS: [&str; 6] = [
        "#1f77b4", "#9467bd", "#2ca02c", "#ff7f0e", "#17becf", "#8c564b",
    ];
    for (i, (name, points)) in lines.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let path: Vec<String> = points
            .iter()
            .filter(|p| p.1.is_finite())
            .map(|&(t, p)| format!("{:.1},{:.1}", x(t), y(p)))
            .collect();
        let _ = writeln!(
            svg,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>\n\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"{colour}\">{}</text>",
            path.join(" "),
            left + 6.0 + 170.0 * (i % 3) as f64,
            top + plot_h + 30.0 + 12.0 * (i / 3) as f64,
            escape(name)
        );
    }
    svg.push_str("</svg><figcaption>fake probability over time; dashed: the fake threshold; shaded: segments over it</figcaption></figure>\n");
    Some(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::{Segment, WindowScore};
    use crate::report::DetectorReport;

    fn audio(path: &str, p: f64) -> FileReport {
        let windows: Vec<WindowScore> = (0..4)
            .map(|i| WindowScore {
                start_s: 2.0 * i as f64,
                end_s: 2.0 * i as f64 + 4.04,
                fake_probability: p * i as f64 / 3.0,
            })
            .collect();
        FileReport {
            duration_s: Some(10.0),
            fake_probability: Some(p),
            verdict: Thresholds::default().verdict(Some(p)),
            detectors: vec![DetectorReport {
                name: "aasist".into(),
                fake_probability: p,
                verdict: Thresholds::default().verdict(Some(p)),
                windows,
                segments: Vec::new(),
            }],
            segments: vec![Segment {
                start_s: 6.0,
                end_s: 10.04,
                fake_probability: p,
            }],
            ..FileReport::not_applicable(path.into(), MediaKind::Audio, String::new())
                .without_note()
        }
    }

    #[test]
    fn a_page_summarises_escapes_and_draws_timelines() {
        let reports = vec![
            audio("<script>alert(1)</script>.wav", 0.9),
            audio("calm.wav", 0.1),
            FileReport::failed(
                "broken.png".into(),
                MediaKind::Image,
                "cannot decode".into(),
            ),
        ];
        let page = render(&reports, &PageOptions::default());
        assert!(page.contains("<b>3</b> files"));
        assert!(
            page.contains("1 likely fake")
                && page.contains("1 likely real")
                && page.contains("1 failed")
        );
        assert!(!page.contains("<script>"), "file names are escaped");
        assert!(page.contains("&lt;script&gt;"));
        assert_eq!(
            page.matches("<polyline").count(),
            2,
            "one timeline per recording"
        );
        assert!(page.contains("fake probability 0.900 (raw)"));
        assert!(page.contains("cannot decode"));
        assert!(
            !page.contains("http://")
                || page.matches("http://").count()
                    == page.matches("xmlns=\"http://www.w3.org/2000/svg\"").count(),
            "nothing is fetched"
        );
    }
}

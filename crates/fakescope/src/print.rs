//! Printing scan reports for people (a table) and machines (JSON Lines).

use std::io::{self, Write};

use fakescope_scan::FileReport;

/// The progress bar of a scan of `files` files (hidden when quiet or for a single file):
/// `prefix` says what is done (`scanning`, `scanning on URL`); messages name the current file.
pub fn scan_progress(quiet: bool, files: usize, prefix: String) -> indicatif::ProgressBar {
    if quiet || files < 2 {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(files as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {prefix} [{bar:30}] {pos}/{len} {elapsed_precise} eta {eta} {wide_msg}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_prefix(prefix);
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// Writes one report as one line of JSON.
pub fn json_line(out: &mut impl Write, report: &FileReport) -> io::Result<()> {
    serde_json::to_writer(&mut *out, report).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

/// The table header (written once, before the first row). `calibrated` are the detectors whose
/// probabilities are calibrated.
pub fn table_header(
    out: &mut impl Write,
    detectors: &[&str],
    calibrated: &[&str],
) -> io::Result<()> {
    let (cal, raw): (Vec<&str>, Vec<&str>) = detectors.iter().partition(|d| calibrated.contains(d));
    if cal.is_empty() {
        writeln!(
            out,
            "fake probabilities are uncalibrated model outputs (1 = fake); detectors: {}",
            detectors.join(", ")
        )?;
    } else if raw.is_empty() {
        writeln!(
            out,
            "fake probabilities are calibrated on each model's validation split (1 = fake); detectors: {}",
            detectors.join(", ")
        )?;
    } else {
        writeln!(
            out,
            "fake probabilities (1 = fake): calibrated on their validation split: {}; uncalibrated model outputs: {}",
            cal.join(", "),
            raw.join(", ")
        )?;
    }
    writeln!(
        out,
        "{:<12} {:>6}  {:<8} {:>8}  {:<22} PATH",
        "VERDICT", "P(FAKE)", "MEDIA", "LENGTH", "SEGMENTS"
    )
}

/// One table row; notes and errors follow on an indented line.
pub fn table_row(out: &mut impl Write, r: &FileReport) -> io::Result<()> {
    let p = r
        .fake_probability
        .map_or_else(|| "-".to_owned(), |p| format!("{p:.3}"));
    let length = r
        .duration_s
        .map_or_else(|| "-".to_owned(), |d| format!("{d:.1}s"));
    let segments = if r.segments.is_empty() {
        "-".to_owned()
    } else {
        let mut s = r
            .segments
            .iter()
            .take(2)
            .map(|s| format!("{:.1}-{:.1}s", s.start_s, s.end_s))
            .collect::<Vec<_>>()
            .join(",");
        if r.segments.len() > 2 {
            s.push_str(&format!(" +{}", r.segments.len() - 2));
        }
        s
    };
    let verdict = if r.error.is_some() {
        "error"
    } else {
        r.verdict.as_str()
    };
    writeln!(
        out,
        "{verdict:<12} {p:>7}  {:<8} {length:>8}  {segments:<22} {}",
        r.media.as_str(),
        r.path
    )?;
    if r.detectors.len() > 1 {
        let each: Vec<String> = r
            .detectors
            .iter()
            .map(|d| format!("{} {:.3}", d.name, d.fake_probability))
            .collect();
        writeln!(out, "{:>12} {}", "", each.join("  "))?;
    }
    if let Some(note) = &r.note {
        writeln!(out, "{:>12} note: {note}", "")?;
    }
    if let Some(error) = &r.error {
        writeln!(out, "{:>12} error: {error}", "")?;
    }
    Ok(())
}

//! `scan --report`: the page for people, opened in a real browser (Debian's chromium, headless,
//! over WebDriver) and checked as it renders: every file has its card, the thumbnails and
//! heatmaps decode, the recording has a timeline, and the screenshot is not blank.

use std::path::Path;
use std::time::Duration;

use crate::common::{
    assert_exit, fakescope, have, models_dir_or_skip, run, shared_dir, tone, write_wav,
};
use crate::serve_page::Browser;

#[test]
fn the_report_page_renders_in_a_browser() {
    let Some(models) = models_dir_or_skip("the_report_page_renders_in_a_browser") else {
        return;
    };
    let Some(faces) = shared_dir().map(|s| s.join("data/mesonet-test-images")) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let wav = tmp.path().join("speech.wav");
    write_wav(&wav, 16_000, &tone(16_000, 9.0));
    let page = tmp.path().join("report.html");
    let out = run(fakescope(&models)
        .args([
            "--quiet",
            "scan",
            "--json",
            "-d",
            "mesoinception4-df",
            "-d",
            "aasist",
        ])
        .arg("--heatmaps")
        .arg(tmp.path().join("maps"))
        .arg("--report")
        .arg(&page)
        .arg(faces.join("df"))
        .arg(faces.join("real"))
        .arg(&wav));
    assert_exit(&out, 0);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("<b>5</b> files"), "{html}");
    assert!(html.contains("data:image/jpeg;base64,"));
    assert_eq!(html.matches("alt=\"heatmap\"").count(), 4, "one per face");

    if !have("chromedriver") || !Path::new("/usr/bin/chromium").is_file() {
        eprintln!(
            "skipped the browser part: chromium and chromium-driver are not installed \
             (scripts/install-deps installs them)"
        );
        return;
    }
    let browser = Browser::start();
    browser.goto(&format!(
        "file://{}",
        page.canonicalize().unwrap().display()
    ));
    browser.wait_for(
        "the page",
        "return document.readyState === 'complete'",
        Duration::from_secs(20),
    );
    let cards = browser.js("return document.querySelectorAll('section.file').length");
    assert_eq!(cards, 5);
    // Every embedded image decodes (a broken data: URI has naturalWidth 0).
    let images = browser.js("return [...document.images].map((i) => [i.alt, i.naturalWidth])");
    let images = images.as_array().unwrap();
    assert!(images.len() >= 8, "4 thumbnails and 4 heatmaps: {images:?}");
    assert!(
        images.iter().all(|i| i[1].as_u64().unwrap() > 0),
        "{images:?}"
    );
    // The recording has a timeline with a line per detector window series.
    let lines = browser.js("return document.querySelectorAll('svg polyline').length");
    assert_eq!(lines, 1);
    // The screenshot shows something: a PNG with many distinct colours, not a blank page.
    let shot = browser.screenshot();
    let img = image::load_from_memory(&shot).unwrap().to_rgb8();
    let mut colours: Vec<[u8; 3]> = img.pixels().map(|p| p.0).collect();
    colours.sort();
    colours.dedup();
    assert!(
        colours.len() > 200,
        "a nearly blank screenshot: {} colours",
        colours.len()
    );
}

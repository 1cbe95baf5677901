//! The web page of `fakescope serve` in a real browser: Debian's `chromium`, headless, driven
//! over WebDriver by `chromedriver` (`scripts/install-deps` installs both). The page is used as a
//! person would: the key typed into its form, files given to its file input, the job list and a
//! result opened with the keyboard; then what the page shows is read back from the DOM.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{have, models_dir_or_skip, shared_dir, workspace_root};
use crate::serve_api::{create_key, start};

/// The W3C WebDriver name of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process and one browser session; both end when dropped.
pub(crate) struct Browser {
    driver: Child,
    base: String,
    session: String,
    agent: ureq::Agent,
}

impl Browser {
    /// Starts chromedriver on a free port and a headless Chromium the size of a phone screen.
    pub(crate) fn start() -> Browser {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while agent.get(&format!("{base}/status")).call().is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut browser = Browser {
            driver,
            base,
            session: String::new(),
            agent,
        };
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                         "--disable-gpu", "--window-size=390,844"],
            },
        }}});
        let created = browser.post("/session", caps);
        browser.session = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_owned();
        browser
    }

    /// A WebDriver command; its `value`, or the test fails with the driver's error.
    fn post(&self, path: &str, body: Value) -> Value {
        let url = if path == "/session" {
            format!("{}{path}", self.base)
        } else {
            format!("{}/session/{}{path}", self.base, self.session)
        };
        let mut resp = self
            .agent
            .post(&url)
            .header("Content-Type", "application/json")
            .send(body.to_string().as_bytes())
            .expect("webdriver request");
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().expect("webdriver reply");
        let v: Value = serde_json::from_str(&text).expect("webdriver json");
        assert_eq!(status, 200, "{path}: {v}");
        v["value"].clone()
    }

    pub(crate) fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url }));
    }

    /// The reference of the element `css` selects.
    fn find(&self, css: &str) -> String {
        let v = self.post("/element", json!({"using": "css selector", "value": css}));
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("{css}: {v}"))
            .to_owned()
    }

    /// Types `text` into an element (for a file input: the paths to give it, one per line).
    fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.post(&format!("/element/{e}/value"), json!({ "text": text }));
    }

    /// Focuses an element and presses Enter on it.
    fn press_enter(&self, element: &str) {
        self.post(
            &format!("/element/{element}/value"),
            json!({ "text": "\u{E007}" }),
        );
    }

    /// Runs JavaScript in the page and returns its value.
    pub(crate) fn js(&self, script: &str) -> Value {
        self.post("/execute/sync", json!({"script": script, "args": []}))
    }

    /// Polls `script` until it returns something other than `null` / `false`.
    pub(crate) fn wait_for(&self, what: &str, script: &str, limit: Duration) -> Value {
        let started = Instant::now();
        loop {
            let v = self.js(script);
            if !(v.is_null() || v == json!(false)) {
                return v;
            }
            assert!(started.elapsed() < limit, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Browser {
    /// A screenshot of the viewport, as PNG bytes.
    pub(crate) fn screenshot(&self) -> Vec<u8> {
        let mut resp = self
            .agent
            .get(&format!(
                "{}/session/{}/screenshot",
                self.base, self.session
            ))
            .call()
            .expect("webdriver request");
        let text = resp.body_mut().read_to_string().expect("webdriver reply");
        let v: Value = serde_json::from_str(&text).expect("webdriver json");
        base64_decode(v["value"].as_str().expect("a base64 screenshot"))
    }
}

/// Standard base64 (WebDriver's screenshots) to bytes.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let digits: Vec<u8> = text
        .bytes()
        .filter(|&c| c != b'=' && !c.is_ascii_whitespace())
        .map(value)
        .collect();
    digits
        .chunks(4)
        .flat_map(|q| {
            let n = q.iter().fold(0u32, |acc, &d| acc << 6 | u32::from(d)) << (6 * (4 - q.len()));
            let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            bytes.into_iter().take(q.len() * 3 / 4)
        })
        .collect()
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self
                .agent
                .delete(&format!("{}/session/{}", self.base, self.session))
                .call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// WCAG contrast ratio of an element's text colour on the page background, computed in the page.
const CONTRAST_JS: &str = r#"
const lum = (c) => { const [r, g, b] = c.match(/\d+/g).slice(0, 3).map((v) => {
  v = v / 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
const bg = getComputedStyle(document.body).backgroundColor;
const worst = [];
for (const e of document.querySelectorAll("body *")) {
  if (!e.offsetParent || ![...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
  const s = getComputedStyle(e);
  const own = s.backgroundColor === "rgba(0, 0, 0, 0)" ? bg : s.backgroundColor;
  worst.push([ratio(s.color, own), e.tagName + "." + e.className + ": " + e.textContent.trim().slice(0, 30)]);
}
worst.sort((a, b) => a[0] - b[0]);
return worst[0];
"#;

#[test]
fn the_page_scans_files_and_shows_results() {
    let Some(models) = models_dir_or_skip("the_page_scans_files_and_shows_results") else {
        return;
    };
    let Some(face) = shared_dir()
        .map(|s| s.join("data/mesonet-test-images/df/df00204.jpg"))
        .and_then(|p| p.canonicalize().ok())
    else {
        eprintln!("skipped: the_page_scans_files_and_shows_results: no ../shared test images");
        return;
    };
    if !have("chromedriver") || !Path::new("/usr/bin/chromium").is_file() {
        eprintln!(
            "skipped: the_page_scans_files_and_shows_results: chromium and chromium-driver \
             are not installed (scripts/install-deps installs them)"
        );
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let key = create_key(&models, data.path(), "browser");
    let server = start(&models, data.path(), &[]);
    let browser = Browser::start();
    browser.goto(&format!("{}/", server.base));

    // Without a key the page asks for one; with the key it is accepted.
    browser.wait_for(
        "the key form",
        "return !document.getElementById('key-section').hidden",
        Duration::from_secs(10),
    );
    browser.type_into("#key", &key);
    browser.js("document.querySelector('#key-form button').click()");
    browser.wait_for(
        "the key to be accepted",
        "const t = document.getElementById('key-status').textContent; \
         return t.includes('accepted') ? t : null",
        Duration::from_secs(10),
    );

    // Two files through the file input: a face photo and a recording.
    let audio = workspace_root().join("examples/media/real-librivox-0920.flac");
    // (chromedriver takes only canonical paths; workspace_root() is one.)
    browser.type_into("#file", &format!("{}\n{}", face.display(), audio.display()));
    let rows = browser.wait_for(
        "both scans to finish",
        "const rows = [...document.querySelectorAll('#jobs tbody tr')]; \
         return rows.length === 2 && rows.every((r) => r.cells[1].textContent === 'done') \
           ? rows.map((r) => [r.cells[0].textContent, r.cells[2].textContent]) : null",
        Duration::from_secs(120),
    );
    let rows = rows.as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r[0].as_str().unwrap()).collect();
    assert!(names.contains(&"df00204.jpg") && names.contains(&"real-librivox-0920.flac"));
    for r in rows {
        assert!(!r[1].as_str().unwrap().is_empty(), "no verdict in {r}");
    }

    // The image result, opened from the job list with the keyboard (Enter on the button).
    let open = browser.find("#jobs tbody tr button[aria-label*='df00204.jpg']");
    browser.press_enter(&open);
    let verdict = browser.wait_for(
        "the image verdict",
        "const v = document.getElementById('verdict'); return v && v.textContent",
        Duration::from_secs(10),
    );
    assert!(verdict.as_str().unwrap().contains('%'), "{verdict}");
    let image = browser.wait_for(
        "the photo with its face box",
        "const r = document.querySelector('#result-body .media svg rect'); \
         const cards = [...document.querySelectorAll('#result-body .card h3')].map((h) => h.textContent); \
         return r ? {cards, focused: document.activeElement.id} : null",
        Duration::from_secs(10),
    );
    assert_eq!(image["focused"], "result", "the result takes the focus");
    assert!(
        image["cards"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "mesoinception4-df"),
        "{image}"
    );

    // The audio result: a card and the timeline with its windows.
    let open = browser.find("#jobs tbody tr button[aria-label*='real-librivox-0920.flac']");
    browser.press_enter(&open);
    let plot = browser.wait_for(
        "the audio timeline",
        "const p = document.querySelector('#result-body svg.plot'); \
         return p && p.getAttribute('aria-label')",
        Duration::from_secs(10),
    );
    assert!(plot.as_str().unwrap().contains("aasist"), "{plot}");

    // Readable on a phone (no sideways scrolling at 390 px), every control labelled, text
    // contrast at least WCAG AA (4.5:1).
    let layout = browser.js(
        "return {width: document.documentElement.scrollWidth, view: window.innerWidth, \
         unlabelled: [...document.querySelectorAll('input, button')].filter((e) => \
           !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim()) \
           .map((e) => e.outerHTML)}",
    );
    assert!(
        layout["width"].as_f64() <= layout["view"].as_f64(),
        "{layout}"
    );
    assert_eq!(layout["unlabelled"], json!([]), "{layout}");
    let worst = browser.js(CONTRAST_JS);
    assert!(worst[0].as_f64().unwrap() >= 4.5, "low contrast: {worst}");
}

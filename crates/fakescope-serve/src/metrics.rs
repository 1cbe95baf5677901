//! Prometheus metrics in the text exposition format (`GET /metrics`): requests and their
//! latencies by route and status, jobs by state, queue depth, scan (model) time, upload bytes.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

use crate::store::Status;

/// Upper bounds of the latency histogram buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (c, b) in self.counts.iter_mut().zip(BUCKETS) {
            if seconds <= b {
                *c += 1;
            }
        }
        self.sum += seconds;
        self.count += 1;
    }

    fn write(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (c, b) in self.counts.iter().zip(BUCKETS) {
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {c}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
    scans: BTreeMap<(String, &'static str), Histogram>,
    upload_bytes: u64,
}

/// The server's counters.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One request answered: its method, matched route (not the raw path: ids would make
    /// the label set unbounded), status and duration.
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut m = self.lock();
        *m.requests
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default() += 1;
        m.latency
            .entry(route.to_owned())
            .or_default()
            .observe(seconds);
    }

    /// One scan finished (or failed) after `seconds` of model time.
    pub fn scan(&self, media: &str, outcome: Status, seconds: f64) {
        self.lock()
            .scans
            .entry((media.to_owned(), outcome.as_str()))
            .or_default()
            .observe(seconds);
    }

    /// Upload bytes stored.
    pub fn uploaded(&self, bytes: u64) {
        self.lock().upload_bytes += bytes;
    }

    /// The exposition text, with the jobs per state read from the store.
    pub fn render(&self, jobs: &[(Status, i64)], workers: usize, healthy: bool) -> String {
        let m = self.lock();
        let mut out = String::new();
        out.push_str(
            "# HELP fakescope_http_requests_total HTTP requests answered.\n\
             # TYPE fakescope_http_requests_total counter\n",
        );
        for ((method, route, status), n) in &m.requests {
            let _ = writeln!(
                out,
                "fakescope_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str(
            "# HELP fakescope_http_request_duration_seconds Time to answer a request.\n\
             # TYPE fakescope_http_request_duration_seconds histogram\n",
        );
        for (route, h) in &m.latency {
            h.write(
                &mut out,
                "fakescope_http_request_duration_seconds",
                &format!("route=\"{route}\""),
            );
        }
        out.push_str(
            "# HELP fakescope_jobs Jobs in the store by state.\n# TYPE fakescope_jobs gauge\n",
        );
        for (status, n) in jobs {
            let _ = writeln!(out, "fakescope_jobs{{state=\"{}\"}} {n}", status.as_str());
        }
        let queued = jobs
            .iter()
            .find(|(s, _)| *s == Status::Queued)
            .map_or(0, |j| j.1);
        let _ = writeln!(
            out,
            "# HELP fakescope_queue_depth Jobs waiting for a worker.\n\
             # TYPE fakescope_queue_depth gauge\nfakescope_queue_depth {queued}"
        );
        let _ = writeln!(
            out,
            "# HELP fakescope_workers Scans that can run at once.\n\
             # TYPE fakescope_workers gauge\nfakescope_workers {workers}"
        );
        let _ = writeln!(
            out,
            "# HELP fakescope_worker_healthy 1 when this process's models load and it takes jobs.\n\
             # TYPE fakescope_worker_healthy gauge\nfakescope_worker_healthy {}",
            u8::from(healthy)
        );
        out.push_str(
            "# HELP fakescope_scan_duration_seconds Model time per scanned file (decoding, faces, detectors).\n\
             # TYPE fakescope_scan_duration_seconds histogram\n",
        );
        for ((media, outcome), h) in &m.scans {
            h.write(
                &mut out,
                "fakescope_scan_duration_seconds",
                &format!("media=\"{media}\",outcome=\"{outcome}\""),
            );
        }
        let _ = writeln!(
            out,
            "# HELP fakescope_upload_bytes_total Bytes of uploads stored.\n\
             # TYPE fakescope_upload_bytes_total counter\nfakescope_upload_bytes_total {}",
            m.upload_bytes
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_has_counters_and_cumulative_buckets() {
        let m = Metrics::default();
        m.request("GET", "/v1/scans/{id}", 200, 0.003);
        m.request("GET", "/v1/scans/{id}", 200, 0.2);
        m.scan("image", Status::Done, 1.5);
        let text = m.render(&[(Status::Queued, 2), (Status::Done, 5)], 1, true);
        assert!(text.contains(
            "fakescope_http_requests_total{method=\"GET\",route=\"/v1/scans/{id}\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "fakescope_http_request_duration_seconds_bucket{route=\"/v1/scans/{id}\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "fakescope_http_request_duration_seconds_bucket{route=\"/v1/scans/{id}\",le=\"0.25\"} 2"
        ));
        assert!(text.contains("fakescope_queue_depth 2"));
        assert!(text.contains("fakescope_jobs{state=\"done\"} 5"));
        assert!(
            text.contains(
                "fakescope_scan_duration_seconds_count{media=\"image\",outcome=\"done\"} 1"
            )
        );
    }
}

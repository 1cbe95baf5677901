//! Throughput of a cluster on this machine: a throw-away PostgreSQL, one API node that only
//! takes uploads (`serve --workers 0 --store …`), and 1, 2, 3… `fakescope worker`s with one scan
//! slot each. The load is `fakescope scan --submit` itself on a folder of distinct face
//! images (face finding + the default face detector), so the time is what a user waits for a
//! batch. For comparison: the same folder scanned by one `fakescope scan` process, and by one
//! `fakescope serve` on its local SQLite store. `scripts/bench-cluster` builds and runs this;
//! the results are in docs/PERFORMANCE.md.
//!
//! ```text
//! cargo run --release -p fakescope --example cluster_load -- BIN FACES_DIR FILES WORKERS...
//! ```

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::Instant;

use fakescope_serve::temp_postgres::TempPostgres;

/// A process; killed when dropped.
struct Node(Child, String);

impl Node {
    fn start(cmd: &mut Command) -> Node {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start fakescope");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("first line");
        assert!(!line.is_empty(), "the process stopped before it was ready");
        Node(child, line.trim().to_owned())
    }

    fn base(&self) -> String {
        self.1
            .strip_prefix("fakescope serve: listening on ")
            .expect("a serve node")
            .to_owned()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Seconds `fakescope scan [--submit URL] DIR` takes; checks that every file was scanned.
fn timed_scan(bin: &Path, dir: &Path, submit: Option<&str>, state: &Path, files: usize) -> f64 {
    let mut cmd = Command::new(bin);
    cmd.args(["--quiet", "scan", "--json"]);
    if let Some(url) = submit {
        cmd.args(["--submit", url, "--state"]).arg(state);
    }
    let started = Instant::now();
    let out = cmd.arg(dir).output().expect("run fakescope scan");
    let seconds = started.elapsed().as_secs_f64();
    let lines = String::from_utf8_lossy(&out.stdout).lines().count();
    assert!(
        out.status.success() && lines == files,
        "scan failed ({lines} of {files} reports): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    seconds
}

/// `files` distinct images: the faces given, each copy with a different first pixel.
fn make_files(faces: &Path, dir: &Path, files: usize) -> Vec<PathBuf> {
    let mut sources: Vec<PathBuf> = std::fs::read_dir(faces)
        .expect("the faces folder")
        .flatten()
        .map(|e| e.path())
        .collect();
    sources.sort();
    let images: Vec<image::RgbImage> = sources
        .iter()
        .filter_map(|p| image::open(p).ok().map(|i| i.to_rgb8()))
        .collect();
    assert!(!images.is_empty(), "no images in {}", faces.display());
    (0..files)
        .map(|i| {
            let mut img = images[i % images.len()].clone();
            img.put_pixel(0, 0, image::Rgb([(i % 256) as u8, (i / 256) as u8, 3]));
            let path = dir.join(format!("face-{i:05}.png"));
            img.save(&path).expect("write an image");
            path
        })
        .collect()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 {
        eprintln!("usage: cluster_load BIN FACES_DIR FILES WORKERS...");
        return ExitCode::from(2);
    }
    let bin = PathBuf::from(&args[0]);
    let files: usize = args[2].parse().expect("FILES is a number");
    let counts: Vec<usize> = args[3..]
        .iter()
        .map(|a| a.parse().expect("WORKERS are numbers"))
        .collect();
    let work = std::env::temp_dir().join(format!("fakescope-cluster-load-{}", std::process::id()));
    let dir = work.join("files");
    std::fs::create_dir_all(&dir).expect("work folder");
    make_files(Path::new(&args[1]), &dir, files);
    let pg = match TempPostgres::start() {
        Ok(pg) => pg,
        Err(e) => {
            eprintln!("cluster_load: {e}");
            return ExitCode::from(2);
        }
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "{files} distinct face images (PNG), face finding + default face detector, {cores} cores"
    );
    println!();
    println!("| setup | seconds | files/s |");
    println!("|---|---|---|");
    let row = |name: &str, s: f64| println!("| {name} | {s:.1} | {:.2} |", files as f64 / s);

    let s = timed_scan(&bin, &dir, None, &work.join("none"), files);
    row("`fakescope scan` (one process, no server)", s);

    {
        let data = work.join("local");
        let api = Node::start(
            Command::new(&bin)
                .args([
                    "serve",
                    "--bind",
                    "127.0.0.1:0",
                    "--no-auth",
                    "--workers",
                    "1",
                ])
                .args(["--max-active-jobs", "100000", "--rate", "1000000", "--data"])
                .arg(&data),
        );
        let s = timed_scan(
            &bin,
            &dir,
            Some(&api.base()),
            &data.join("sent.jsonl"),
            files,
        );
        row("`fakescope serve`, SQLite, 1 in-process worker", s);
    }

    for &n in &counts {
        let url = pg.url(&format!("load{n}"));
        let data = work.join(format!("cluster{n}"));
        let api = Node::start(
            Command::new(&bin)
                .args([
                    "serve",
                    "--bind",
                    "127.0.0.1:0",
                    "--no-auth",
                    "--workers",
                    "0",
                ])
                .args(["--max-active-jobs", "100000", "--rate", "1000000"])
                .args(["--store", &url, "--data"])
                .arg(data.join("api")),
        );
        let workers: Vec<Node> = (0..n)
            .map(|i| {
                Node::start(
                    Command::new(&bin)
                        .args(["worker", "--workers", "1", "--store", &url, "--data"])
                        .arg(data.join(format!("worker{i}"))),
                )
            })
            .collect();
        let s = timed_scan(
            &bin,
            &dir,
            Some(&api.base()),
            &data.join("sent.jsonl"),
            files,
        );
        row(
            &format!("cluster: PostgreSQL, 1 API node, {n} worker(s) x 1 slot"),
            s,
        );
        drop(workers);
    }
    drop(pg);
    let _ = std::fs::remove_dir_all(&work);
    ExitCode::SUCCESS
}

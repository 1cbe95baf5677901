//! A cluster on one machine, with real servers: a temporary PostgreSQL (Debian's, started with
//! `initdb`/`pg_ctl` on a loopback port), two `fakescope serve` API nodes and three
//! `fakescope worker`s, each with its own data folder. Processes are killed with SIGKILL in
//! the middle of a batch of 500 jobs; every job must be finished exactly once, with the result
//! a single-machine `fakescope scan` gives.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fakescope_serve::temp_postgres::TempPostgres;
use serde_json::Value;

use crate::common::{assert_exit, fakescope, json_lines, models_dir_or_skip, run, shared_dir};

/// A process of the cluster; killed when dropped.
pub(crate) struct Node {
    child: Child,
    /// The first line it printed on stdout.
    pub(crate) first_line: String,
}

impl Node {
    pub(crate) fn start(mut cmd: Command) -> Node {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start fakescope");
        let mut first_line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first_line)
            .unwrap();
        assert!(
            !first_line.is_empty(),
            "the process stopped before it was ready"
        );
        Node { child, first_line }
    }

    /// The API's base URL (a `serve` node).
    pub(crate) fn base(&self) -> String {
        self.first_line
            .trim()
            .strip_prefix("fakescope serve: listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {:?}", self.first_line))
            .to_owned()
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no chance to finish anything.
    pub(crate) fn kill_9(&mut self) {
        let _ = Command::new("kill")
            .args(["-9", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `n` distinct face crops (PNG): one real face, each with a different first pixel, so no
/// job is answered from another's stored result.
pub(crate) fn face_crops(dir: &Path, n: usize) -> Vec<PathBuf> {
    let face = shared_dir()
        .map(|s| s.join("data/mesonet-test-images/real"))
        .and_then(|d| std::fs::read_dir(d).ok())
        .and_then(|mut d| d.next())
        .map(|e| e.unwrap().path())
        .expect("a face in ../shared/data/mesonet-test-images/real");
    let face = image::open(face)
        .unwrap()
        .resize_exact(96, 96, image::imageops::FilterType::Triangle)
        .to_rgb8();
    (0..n)
        .map(|i| {
            let mut img = face.clone();
            img.put_pixel(0, 0, image::Rgb([(i % 256) as u8, (i / 256) as u8, 7]));
            let path = dir.join(format!("face-{i:04}.png"));
            img.save(&path).unwrap();
            path
        })
        .collect()
}

pub(crate) fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// Uploads a file; `None` when the node cannot be reached.
pub(crate) fn upload(
    agent: &ureq::Agent,
    base: &str,
    key: &str,
    query: &str,
    path: &Path,
) -> Option<Value> {
    let name = path.file_name().unwrap().to_str().unwrap();
    let body = std::fs::read(path).unwrap();
    let mut resp = agent
        .post(format!("{base}/v1/scans?{query}&filename={name}"))
        .header("Authorization", &format!("Bearer {key}"))
        .header("Content-Type", "application/octet-stream")
        .send(&body[..])
        .ok()?;
    let status = resp.status().as_u16();
    let job: Value = serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(status, 202, "{job}");
    Some(job)
}

pub(crate) fn get_json(agent: &ureq::Agent, url: &str, key: &str) -> Value {
    let mut resp = agent
        .get(url)
        .header("Authorization", &format!("Bearer {key}"))
        .call()
        .expect("request");
    assert_eq!(resp.status().as_u16(), 200);
    serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap()
}

/// A scan report without its path (which names the upload or the local file).
pub(crate) fn without_path(mut report: Value) -> Value {
    report.as_object_mut().unwrap().remove("path");
    report
}

/// The same files scanned on one machine: file name → report.
pub(crate) fn single_machine(models: &Path, dir: &Path, args: &[&str]) -> HashMap<String, Value> {
    let out = run(fakescope(models)
        .args(["scan", "--json"])
        .args(args)
        .arg(dir));
    assert_exit(&out, 0);
    json_lines(&out)
        .into_iter()
        .map(|r| {
            let name = Path::new(r["path"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (name, without_path(r))
        })
        .collect()
}

/// Counts every transition of a job to a final state in `test_finishes`: the tests' witness
/// of "once". The store must exist (migrated) already.
fn count_finishes(url: &str) -> postgres::Client {
    let mut db = postgres::Client::connect(url, postgres::NoTls).unwrap();
    db.batch_execute(
        "CREATE TABLE test_finishes (id text NOT NULL);
         CREATE FUNCTION test_count_finish() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN INSERT INTO test_finishes (id) VALUES (NEW.id); RETURN NEW; END $$;
         CREATE TRIGGER test_finish AFTER UPDATE OF status ON jobs FOR EACH ROW
           WHEN (OLD.status = 'running' AND NEW.status IN ('done', 'failed'))
           EXECUTE FUNCTION test_count_finish();",
    )
    .unwrap();
    db
}

#[test]
fn a_cluster_finishes_every_job_once_while_processes_are_killed() {
    let test = "a_cluster_finishes_every_job_once_while_processes_are_killed";
    let Some(models) = models_dir_or_skip(test) else {
        return;
    };
    let Some(pg) = TempPostgres::start_or_skip(test) else {
        return;
    };
    let url = pg.url("cluster");
    let files_dir = tempfile::tempdir().unwrap();
    let files = face_crops(files_dir.path(), 500);
    let reference = single_machine(&models, files_dir.path(), &["--crops", "-d", "meso4-df"]);
    assert_eq!(reference.len(), 500);

    // A key made against the shared store works on every API node.
    let out = run(fakescope(&models).args([
        "keys",
        "create",
        "--name",
        "batch",
        "--rate",
        "100000",
        "--max-active-jobs",
        "1000",
        "--store",
        &url,
    ]));
    assert_exit(&out, 0);
    let key = String::from_utf8(out.stdout).unwrap().trim().to_owned();

    let mut db = count_finishes(&url);

    let data = tempfile::tempdir().unwrap();
    let api_node = |i: usize| {
        let mut cmd = fakescope(&models);
        cmd.args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "0",
            "--store",
            &url,
        ])
        .arg("--data")
        .arg(data.path().join(format!("api{i}")));
        Node::start(cmd)
    };
    let worker = |i: usize| {
        let mut cmd = fakescope(&models);
        cmd.args([
            "worker",
            "--workers",
            "1",
            "--lease",
            "3s",
            "--detectors",
            "meso4-df",
            "--store",
            &url,
        ])
        .arg("--data")
        .arg(data.path().join(format!("worker{i}")));
        Node::start(cmd)
    };
    let mut apis = [api_node(0), api_node(1)];
    let bases: Vec<String> = apis.iter().map(Node::base).collect();
    let mut workers: Vec<Node> = (0..3).map(worker).collect();
    let mut api1_alive = true;

    let agent = agent();
    let query = "crops=true&detectors=meso4-df";
    let mut ids = Vec::new();
    for (i, path) in files.iter().enumerate() {
        match i {
            // An API node dies; its clients go to the other one.
            150 => {
                apis[1].kill_9();
                api1_alive = false;
            }
            // Workers die in the middle of scans; one is replaced.
            220 => workers[0].kill_9(),
            330 => {
                workers[1].kill_9();
                workers.push(worker(3));
            }
            _ => {}
        }
        let node = if i % 2 == 1 && api1_alive { 1 } else { 0 };
        let job = upload(&agent, &bases[node], &key, query, path)
            .or_else(|| upload(&agent, &bases[0], &key, query, path))
            .expect("the remaining API node takes the upload");
        ids.push(job["id"].as_str().unwrap().to_owned());
    }

    let deadline = Instant::now() + Duration::from_secs(600);
    let mut results = HashMap::new();
    for id in &ids {
        loop {
            let job = get_json(&agent, &format!("{}/v1/scans/{id}?wait=30", bases[0]), &key);
            if job["status"] == "done" || job["status"] == "failed" {
                assert_eq!(job["status"], "done", "{job}");
                let name = job["filename"].as_str().unwrap().to_owned();
                results.insert(name, without_path(job["result"].clone()));
                break;
            }
            assert!(Instant::now() < deadline, "job {id} did not finish: {job}");
        }
    }
    assert_eq!(results.len(), 500);
    for (name, report) in &results {
        assert_eq!(Some(report), reference.get(name), "{name}");
    }
    let row = db
        .query_one(
            "SELECT count(*), count(DISTINCT id), \
             (SELECT count(*) FROM jobs WHERE attempts > 1) FROM test_finishes",
            &[],
        )
        .unwrap();
    let (finishes, distinct, retried): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    assert_eq!((finishes, distinct), (500, 500));
    eprintln!("{test}: 500 jobs finished once each; {retried} taken over from killed workers");

    // A file uploaded through the node that died, served by the other from the database.
    let mut resp = agent
        .get(format!("{}/v1/scans/{}/file", bases[0], ids[1]))
        .header("Authorization", &format!("Bearer {key}"))
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.body_mut().read_to_vec().unwrap(),
        std::fs::read(&files[1]).unwrap()
    );

    // API nodes and workers keep no copies: the uploads are in the database.
    let kept: usize = ["api0", "api1", "worker0", "worker1", "worker2", "worker3"]
        .iter()
        .filter_map(|d| std::fs::read_dir(data.path().join(d).join("blobs")).ok())
        .flat_map(|d| d.flatten())
        .filter(|e| e.file_name() != "tmp")
        .filter_map(|e| std::fs::read_dir(e.path()).ok())
        .map(|d| d.count())
        .sum();
    assert_eq!(kept, 0);

    // The workers still alive (the third and the replacement) are listed, healthy. A killed
    // worker keeps its last row, and may have died before its models loaded (unhealthy): the
    // pids tell them apart, not the time since a row was last seen, which is seconds for both.
    let alive: Vec<u32> = workers[2..].iter().map(Node::pid).collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let listed = get_json(&agent, &format!("{}/v1/workers", bases[0]), &key);
        let healthy = |pid: u32| {
            listed["workers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|w| w["role"] == "worker" && w["pid"] == pid && w["healthy"] == true)
        };
        if alive.iter().all(|&pid| healthy(pid)) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "workers {alive:?} not listed healthy: {listed}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn the_cluster_waits_out_a_database_restart() {
    let test = "the_cluster_waits_out_a_database_restart";
    let Some(models) = models_dir_or_skip(test) else {
        return;
    };
    let Some(pg) = TempPostgres::start_or_skip(test) else {
        return;
    };
    let url = pg.url("restart");
    let data = tempfile::tempdir().unwrap();
    let mut cmd = fakescope(&models);
    cmd.args([
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--workers",
        "0",
        "--no-auth",
    ])
    .args(["--max-active-jobs", "1000", "--rate", "100000"])
    .args(["--store", &url, "--data"])
    .arg(data.path().join("api"));
    let api = Node::start(cmd);
    let base = api.base();
    count_finishes(&url);
    let mut cmd = fakescope(&models);
    cmd.args([
        "worker",
        "--lease",
        "3s",
        "--detectors",
        "meso4-df",
        "--store",
        &url,
    ])
    .arg("--data")
    .arg(data.path().join("w"));
    let _worker = Node::start(cmd);
    let files_dir = tempfile::tempdir().unwrap();
    let files = face_crops(files_dir.path(), 41);
    let agent = agent();
    let query = "crops=true&detectors=meso4-df";
    let mut ids: Vec<String> = files[..40]
        .iter()
        .map(|f| {
            upload(&agent, &base, "unused", query, f).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();

    pg.stop().unwrap();
    // Readiness goes red; an upload is refused as unavailable, to be retried.
    let status = |path: &str| {
        agent
            .get(format!("{base}{path}"))
            .call()
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    };
    assert_eq!(status("/readyz"), 503);
    let body = std::fs::read(&files[40]).unwrap();
    let resp = agent
        .post(format!("{base}/v1/scans?{query}"))
        .send(&body[..])
        .unwrap();
    assert_eq!(resp.status().as_u16(), 503);
    assert!(resp.headers().get("retry-after").is_some());
    std::thread::sleep(Duration::from_secs(3));

    pg.restart().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while status("/readyz") != 200 {
        assert!(Instant::now() < deadline, "readiness stays red");
        std::thread::sleep(Duration::from_millis(200));
    }
    ids.push(
        upload(&agent, &base, "unused", query, &files[40]).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    for id in &ids {
        loop {
            let job = get_json(&agent, &format!("{base}/v1/scans/{id}?wait=30"), "unused");
            if job["status"] == "done" {
                break;
            }
            assert_ne!(job["status"], "failed", "{job}");
            assert!(
                Instant::now() < deadline + Duration::from_secs(120),
                "{job}"
            );
        }
    }
    let mut db = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let row = db
        .query_one(
            "SELECT count(*), count(DISTINCT id) FROM test_finishes",
            &[],
        )
        .unwrap();
    assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1)), (41, 41));
}

#[test]
fn a_worker_without_its_models_is_unhealthy_and_takes_no_jobs() {
    let test = "a_worker_without_its_models_is_unhealthy_and_takes_no_jobs";
    let Some(models) = models_dir_or_skip(test) else {
        return;
    };
    let Some(pg) = TempPostgres::start_or_skip(test) else {
        return;
    };
    let url = pg.url("unhealthy");
    let data = tempfile::tempdir().unwrap();
    let empty_models = tempfile::tempdir().unwrap();
    let mut cmd = fakescope(&models);
    cmd.args([
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--workers",
        "0",
        "--no-auth",
    ])
    .args(["--store", &url, "--data"])
    .arg(data.path().join("api"));
    let api = Node::start(cmd);
    let base = api.base();
    // This worker finds no weights.
    let mut cmd = fakescope(empty_models.path());
    cmd.args([
        "worker",
        "--detectors",
        "meso4-df",
        "--store",
        &url,
        "--data",
    ])
    .arg(data.path().join("w"));
    let _worker = Node::start(cmd);

    let files_dir = tempfile::tempdir().unwrap();
    let files = face_crops(files_dir.path(), 1);
    let agent = agent();
    let job = upload(
        &agent,
        &base,
        "unused",
        "crops=true&detectors=meso4-df",
        &files[0],
    )
    .unwrap();
    let id = job["id"].as_str().unwrap();
    // The worker reports itself unhealthy, with the reason, and the job waits.
    let deadline = Instant::now() + Duration::from_secs(30);
    let listed = loop {
        let listed = get_json(&agent, &format!("{base}/v1/workers"), "unused");
        if listed["workers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["healthy"] == false)
        {
            break listed;
        }
        assert!(Instant::now() < deadline, "{listed}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        listed.to_string().contains("meso4-df"),
        "the reason names the model: {listed}"
    );
    std::thread::sleep(Duration::from_secs(2));
    let job = get_json(&agent, &format!("{base}/v1/scans/{id}"), "unused");
    assert_eq!(job["status"], "queued", "{job}");
    assert_eq!(job["attempts"], 0, "{job}");
}

#[test]
fn cluster_roles_refuse_what_cannot_work() {
    let Some(models) = models_dir_or_skip("cluster_roles_refuse_what_cannot_work") else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let out = run(fakescope(&models)
        .args(["worker", "--data"])
        .arg(data.path()));
    assert_exit(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--store postgres://"), "{stderr}");
    let out = run(fakescope(&models)
        .args(["serve", "--workers", "0", "--data"])
        .arg(data.path()));
    assert_exit(&out, 2);
    let out = run(fakescope(&models).args(["keys", "list", "--store", "mysql://somewhere/db"]));
    assert_exit(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("PostgreSQL URL"), "{stderr}");
}

#[test]
fn scan_submit_prints_what_a_local_scan_prints_and_resumes() {
    let Some(models) =
        models_dir_or_skip("scan_submit_prints_what_a_local_scan_prints_and_resumes")
    else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let mut cmd = fakescope(&models);
    cmd.args([
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--workers",
        "2",
        "--no-auth",
    ])
    .args(["--max-active-jobs", "8", "--data"])
    .arg(data.path());
    let api = Node::start(cmd);
    let base = api.base();
    let files_dir = tempfile::tempdir().unwrap();
    face_crops(files_dir.path(), 20);
    std::fs::write(files_dir.path().join("notes.txt"), "not media").unwrap();
    let state = data.path().join("sent.jsonl");
    let args = ["--json", "--crops", "-d", "meso4-df"];

    let local = run(fakescope(&models)
        .arg("scan")
        .args(args)
        .arg(files_dir.path()));
    let submit = || {
        run(fakescope(&models)
            .arg("scan")
            .args(args)
            .args(["--submit", &base, "--state"])
            .arg(&state)
            .arg(files_dir.path()))
    };
    // More files than the quota of 8 active jobs: the client waits its turn.
    let remote = submit();
    // The text file fails in both (exit 1), with the same reports otherwise, in the same order.
    assert_exit(&local, 1);
    assert_exit(&remote, 1);
    let (l, r) = (json_lines(&local), json_lines(&remote));
    assert_eq!(l.len(), 21);
    assert_eq!(r.len(), 21);
    for (a, b) in l.iter().zip(&r) {
        assert_eq!(a["path"], b["path"]);
        if a["error"].is_null() {
            assert_eq!(a, b);
        } else {
            assert!(!b["error"].is_null(), "{b}");
        }
    }
    let jobs = get_json(&agent(), &format!("{base}/v1/scans?limit=500"), "unused");
    // The text file was refused at upload (415), so it is no job.
    let sent = jobs["scans"].as_array().unwrap().len();
    assert_eq!(sent, 20);

    // Again: nothing is sent twice; the results come back from the server.
    let again = submit();
    assert_exit(&again, 1);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        stderr.contains("20 file(s) were sent by an earlier run"),
        "{stderr}"
    );
    assert_eq!(json_lines(&again), r);
    let jobs = get_json(&agent(), &format!("{base}/v1/scans?limit=500"), "unused");
    assert_eq!(jobs["scans"].as_array().unwrap().len(), sent);
}

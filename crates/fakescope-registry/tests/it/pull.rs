//! `Puller` against a local HTTP server.

use fakescope_registry::{Error, NoProgress, PullOutcome, Puller};

use crate::server::{Reply, Server};
use crate::{Recorder, bytes, manifest, put, tree};

/// Pulls model `m` (files `weights/a.bin`, 200 kB, and `weights/b.bin`, 10 B) from `server`.
fn fixture() -> (Vec<u8>, Vec<u8>, fakescope_registry::Manifest) {
    let a = bytes(200_000, 1);
    let b = bytes(10, 2);
    let m = manifest(&[("m", &[("weights/a.bin", &a), ("weights/b.bin", &b)])]);
    (a, b, m)
}

fn puller(dest: &std::path::Path, server: &Server) -> Puller {
    // A trailing slash on the mirror is ignored.
    Puller::new(dest).with_mirror(Some(format!("{}/", server.url())))
}

#[test]
fn pull_downloads_checks_and_reports_progress() {
    let (a, b, m) = fixture();
    let server = Server::start(&[
        ("/weights/a.bin", Reply::Body(a.clone())),
        ("/weights/b.bin", Reply::Body(b.clone())),
    ]);
    let dest = tempfile::tempdir().unwrap();
    let progress = Recorder::default();
    let pulled = puller(dest.path(), &server)
        .pull(m.get("m").unwrap(), &progress)
        .unwrap();

    assert_eq!(pulled.len(), 2);
    assert!(pulled.iter().all(|p| p.outcome == PullOutcome::Downloaded));
    assert_eq!(pulled[0].path, dest.path().join("weights").join("a.bin"));
    assert_eq!(std::fs::read(&pulled[0].path).unwrap(), a);
    assert_eq!(std::fs::read(&pulled[1].path).unwrap(), b);
    assert_eq!(
        *progress.events.borrow(),
        [
            "start weights/a.bin 200000",
            "advance 200000",
            "finish",
            "start weights/b.bin 10",
            "advance 10",
            "finish"
        ]
    );
    // No temporary files left beside the results.
    assert_eq!(tree(dest.path()), ["weights/a.bin", "weights/b.bin"]);
    assert_eq!(server.requests(), ["/weights/a.bin", "/weights/b.bin"]);
}

#[test]
fn pull_skips_files_already_present_and_replaces_corrupt_ones() {
    let (a, b, m) = fixture();
    let server = Server::start(&[
        ("/weights/a.bin", Reply::Body(a.clone())),
        ("/weights/b.bin", Reply::Body(b.clone())),
    ]);
    let dest = tempfile::tempdir().unwrap();
    put(dest.path(), "weights/a.bin", &a);
    let mut corrupt = b.clone();
    corrupt[3] ^= 1;
    put(dest.path(), "weights/b.bin", &corrupt);

    let progress = Recorder::default();
    let pulled = puller(dest.path(), &server)
        .pull(m.get("m").unwrap(), &progress)
        .unwrap();
    assert_eq!(pulled[0].outcome, PullOutcome::AlreadyPresent);
    assert_eq!(pulled[1].outcome, PullOutcome::Downloaded);
    assert_eq!(std::fs::read(dest.path().join("weights/b.bin")).unwrap(), b);
    assert_eq!(server.requests(), ["/weights/b.bin"]);
    assert_eq!(progress.events.borrow()[0], "skipped weights/a.bin");

    // A second pull downloads nothing.
    let again = puller(dest.path(), &server)
        .pull(m.get("m").unwrap(), &NoProgress)
        .unwrap();
    assert!(
        again
            .iter()
            .all(|p| p.outcome == PullOutcome::AlreadyPresent)
    );
    assert_eq!(server.requests().len(), 1);
}

/// Pulls file `x/f.bin` (the first argument's bytes expected) with `reply` served, and
/// checks that the failure leaves nothing in the destination.
fn pull_failure(expected: &[u8], reply: Reply) -> Error {
    let m = manifest(&[("m", &[("x/f.bin", expected)])]);
    let server = Server::start(&[("/x/f.bin", reply)]);
    let dest = tempfile::tempdir().unwrap();
    let progress = Recorder::default();
    let err = puller(dest.path(), &server)
        .pull(m.get("m").unwrap(), &progress)
        .unwrap_err();
    assert_eq!(tree(dest.path()), Vec::<String>::new(), "{err}");
    // If a download started, the progress was finished.
    let events = progress.events.borrow();
    assert_eq!(
        !events.is_empty(),
        events.last().is_some_and(|e| e == "finish")
    );
    err
}

#[test]
fn wrong_checksum_is_refused_and_discarded() {
    let good = bytes(5000, 7);
    let mut bad = good.clone();
    bad[4321] ^= 0x80;
    let err = pull_failure(&good, Reply::Body(bad.clone()));
    let Error::ChecksumMismatch {
        expected,
        actual,
        url,
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(expected, &crate::sha256(&good));
    assert_eq!(actual, &crate::sha256(&bad));
    assert!(url.ends_with("/x/f.bin"));
    let msg = err.to_string();
    assert!(
        msg.contains("SHA-256 mismatch") && msg.contains("discarded"),
        "{msg}"
    );
}

#[test]
fn truncated_download_is_an_error() {
    let good = bytes(100_000, 3);
    let reply = Reply::WrongLength {
        body: good[..40_000].to_vec(),
        announced: 100_000,
    };
    let err = pull_failure(&good, reply);
    assert!(
        matches!(
            err,
            Error::SizeMismatch {
                expected: 100_000,
                received: Some(40_000),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("got only 40000 (truncated download)"),
        "{err}"
    );
}

#[test]
fn connection_closed_early_without_length_is_truncated() {
    let good = bytes(100_000, 3);
    let err = pull_failure(&good, Reply::Unsized(good[..99_999].to_vec()));
    assert!(
        matches!(
            err,
            Error::SizeMismatch {
                received: Some(99_999),
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn server_sending_more_than_expected_is_stopped() {
    let good = bytes(70_000, 4);
    let mut longer = good.clone();
    longer.extend(bytes(500_000, 5));
    let err = pull_failure(&good, Reply::Unsized(longer));
    let Error::SizeMismatch {
        expected: 70_000,
        received: Some(n),
        ..
    } = err
    else {
        panic!("{err:?}")
    };
    // Stopped within one read of the limit, not after the whole body.
    assert!(n > 70_000 && n < 70_000 + 70_000, "{n}");
}

#[test]
fn announced_length_other_than_manifest_is_refused_before_reading() {
    let good = bytes(1000, 6);
    let err = pull_failure(
        &good,
        Reply::WrongLength {
            body: good.clone(),
            announced: 999,
        },
    );
    assert!(
        matches!(err, Error::SizeMismatch { received: None, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("different Content-Length"),
        "{err}"
    );
}

#[test]
fn http_404_names_the_url() {
    let err = pull_failure(&bytes(10, 0), Reply::Status(404));
    assert!(
        matches!(err, Error::HttpStatus { status: 404, .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("/x/f.bin: server answered HTTP 404"), "{msg}");
}

#[test]
fn network_failure_is_reported() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let m = manifest(&[("m", &[("x/f.bin", b"abc")])]);
    let dest = tempfile::tempdir().unwrap();
    let err = Puller::new(dest.path())
        .with_mirror(Some(format!("http://127.0.0.1:{port}")))
        .pull(m.get("m").unwrap(), &NoProgress)
        .unwrap_err();
    assert!(matches!(err, Error::Network { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains(&format!("127.0.0.1:{port}/x/f.bin: download failed"))
    );
    assert_eq!(tree(dest.path()), Vec::<String>::new());
}

#[test]
fn unwritable_destination_is_reported_before_downloading() {
    let server = Server::start(&[("/x/f.bin", Reply::Body(b"abc".to_vec()))]);
    let m = manifest(&[("m", &[("x/f.bin", b"abc")])]);
    let tmp = tempfile::tempdir().unwrap();
    // A regular file where the models directory should be: no directory can be made
    // below it (permissions would not stop a test running as root).
    let blocker = tmp.path().join("not-a-dir");
    std::fs::write(&blocker, b"").unwrap();
    let err = puller(&blocker, &server)
        .pull(m.get("m").unwrap(), &NoProgress)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Io {
                action: "create directory",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("not-a-dir/x: cannot create directory"),
        "{err}"
    );
    assert!(server.requests().is_empty());
}

#[test]
fn urls_come_from_the_manifest_or_the_mirror() {
    let m = manifest(&[("m", &[("x/f.bin", b"abc")])]);
    let file = &m.get("m").unwrap().files()[0];
    let plain = Puller::new("/tmp/unused");
    assert_eq!(
        plain.url_for(file).unwrap(),
        format!("https://example.invalid/r/raw/{}/x/f.bin", crate::COMMIT)
    );
    let empty = Puller::new("/tmp/unused").with_mirror(Some(String::new()));
    assert_eq!(empty.url_for(file), plain.url_for(file));
    let mirrored = Puller::new("/tmp/unused").with_mirror(Some("http://h:1/base//".into()));
    assert_eq!(mirrored.url_for(file).unwrap(), "http://h:1/base/x/f.bin");
}

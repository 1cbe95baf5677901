//! `verify_model` on generated files.

use fakescope_registry::{DirOrigin, FileStatus, ModelsDir, Resolver, verify_model, verify_models};

use crate::{bytes, manifest, put, sha256};

#[test]
fn verify_reports_ok_flipped_byte_wrong_size_and_missing() {
    let (a, b, c, d) = (bytes(3000, 1), bytes(2000, 2), bytes(1000, 3), bytes(10, 4));
    let m = manifest(&[(
        "m",
        &[
            ("m/a.bin", &a),
            ("m/b.bin", &b),
            ("m/c.bin", &c),
            ("m/d.bin", &d),
        ],
    )]);
    let dir = tempfile::tempdir().unwrap();
    put(dir.path(), "m/a.bin", &a);
    let mut flipped = b.clone();
    flipped[1234] ^= 0x01;
    put(dir.path(), "m/b.bin", &flipped);
    put(dir.path(), "m/c.bin", &c[..999]);

    let resolver = Resolver::from_dirs(vec![ModelsDir::new(dir.path(), DirOrigin::Explicit)]);
    let reports = verify_model(&resolver, m.get("m").unwrap());
    let statuses: Vec<_> = reports.iter().map(|r| r.status.clone()).collect();
    assert_eq!(
        statuses,
        [
            FileStatus::Ok,
            FileStatus::WrongChecksum {
                expected: sha256(&b),
                actual: sha256(&flipped)
            },
            FileStatus::WrongSize {
                expected: 1000,
                actual: 999
            },
            FileStatus::Missing,
        ]
    );
    assert!(reports[0].is_ok() && !reports[1].is_ok());
    assert_eq!(
        reports[0].path.as_deref(),
        Some(dir.path().join("m").join("a.bin").as_path())
    );
    assert_eq!(reports[3].path, None);
    assert_eq!(reports[1].relative, "m/b.bin");
    assert_eq!(reports[1].model, "m");
    assert_eq!(
        reports[1].status.to_string(),
        format!(
            "wrong checksum: SHA-256 {}, expected {}",
            sha256(&flipped),
            sha256(&b)
        )
    );
    assert_eq!(
        reports[2].status.to_string(),
        "wrong size: 999 bytes, expected 1000"
    );
}

#[test]
fn verify_checks_the_file_found_first_in_the_search_path() {
    let a = bytes(100, 9);
    let m = manifest(&[("m", &[("a.bin", &a)]), ("n", &[("n.bin", b"n")])]);
    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    put(first.path(), "a.bin", &a[..50]);
    put(second.path(), "a.bin", &a);
    put(second.path(), "n.bin", b"n");
    let resolver = Resolver::from_dirs(vec![
        ModelsDir::new(first.path(), DirOrigin::Explicit),
        ModelsDir::new(second.path(), DirOrigin::UserCache),
    ]);
    let reports = verify_models(&resolver, m.models());
    assert_eq!(reports.len(), 2);
    assert_eq!(
        reports[0].status,
        FileStatus::WrongSize {
            expected: 100,
            actual: 50
        }
    );
    assert_eq!(reports[1].status, FileStatus::Ok);
    assert_eq!(
        reports[1].path.as_deref(),
        Some(second.path().join("n.bin").as_path())
    );
}

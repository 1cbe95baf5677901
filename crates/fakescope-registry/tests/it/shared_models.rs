//! The built-in manifest against the real upstream weights in shared/models, when present.

use std::path::PathBuf;

use fakescope_registry::{DirOrigin, Manifest, ModelsDir, Resolver, verify_models};

/// `$FAKESCOPE_MODELS`, else `<workspace>/../shared/models`, if it exists.
fn shared_models() -> Option<PathBuf> {
    let dir = std::env::var_os("FAKESCOPE_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/models")
        });
    dir.is_dir().then_some(dir)
}

#[test]
fn builtin_manifest_matches_the_upstream_files() {
    let Some(dir) = shared_models() else {
        eprintln!(
            "skipped: no models directory (set FAKESCOPE_MODELS or provide ../shared/models)"
        );
        return;
    };
    let manifest = Manifest::builtin();
    let resolver = Resolver::from_dirs(vec![ModelsDir::new(&dir, DirOrigin::Env)]);
    let reports = verify_models(&resolver, manifest.models());
    assert_eq!(reports.len(), 12);
    for report in &reports {
        assert!(
            report.is_ok(),
            "{} {}: {}",
            report.model,
            report.relative,
            report.status
        );
    }
    for model in manifest.models() {
        let located = resolver.locate(manifest, model.name()).unwrap();
        assert_eq!(located.files().len(), model.files().len());
    }
    eprintln!("checked {} files in {}", reports.len(), dir.display());
}

//! The real image corpus, when this machine has it.

use std::path::Path;

use fakescope_datasets::{
    Counts, OpenOptions, Split, SplitRule, assign_splits, check_trainable, open,
};

const MANIFEST: &str = "/root/fakescope-corpora/images/manifest.csv";

#[test]
fn faces_task_counts() {
    if !Path::new(MANIFEST).is_file() {
        eprintln!("skipped: {MANIFEST} is absent");
        return;
    }
    let ds = open(MANIFEST, &OpenOptions { check_files: true }).unwrap();
    assert_eq!(ds.name, "images");
    let mut faces = ds.filter(|s| s.source.as_deref() == Some("utkface_crop_part1"));
    let summary = assign_splits(&mut faces, &SplitRule::FromManifest).unwrap();
    eprintln!("{summary}");
    assert_eq!(
        summary.get(Some(Split::Train)),
        Counts {
            real: 8693,
            fake: 0
        }
    );
    assert_eq!(summary.get(Some(Split::Val)), Counts { real: 982, fake: 0 });
    assert_eq!(summary.total().total(), 8693 + 982);
    let m = check_trainable(faces.split(Split::Train), "train split", false)
        .unwrap_err()
        .to_string();
    assert_eq!(
        m,
        "train split has only real samples (8693); add fakes or a synthesiser such as SBI"
    );
    check_trainable(faces.split(Split::Train), "train split", true).unwrap();

    // The whole corpus: every split from the manifest, no leak.
    let mut all = ds.clone();
    let summary = assign_splits(&mut all, &SplitRule::FromManifest).unwrap();
    assert_eq!(summary.total().total(), ds.samples.len());
}

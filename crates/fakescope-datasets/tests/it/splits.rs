use std::collections::HashMap;

use fakescope_datasets::{
    Counts, Dataset, Error, GroupKey, Label, OpenOptions, Sample, Split, SplitRule, SplitSummary,
    assign_splits, check_trainable, key_fraction, open, split_of_key,
};

use crate::{message, write};

fn dataset(samples: Vec<Sample>) -> Dataset {
    Dataset {
        name: "t".into(),
        samples,
        origin: "/data/t.csv".into(),
    }
}

fn sample(path: &str, label: Label, split: Option<Split>, group: Option<&str>) -> Sample {
    Sample {
        split,
        group: group.map(str::to_owned),
        ..Sample::new(format!("/data/{path}"), label)
    }
}

fn by_key(key: GroupKey, val: f64, test: f64, salt: &str) -> SplitRule {
    SplitRule::ByKey {
        key,
        val_fraction: val,
        test_fraction: test,
        salt: salt.into(),
    }
}

#[test]
fn hashing_is_pinned() {
    // Computed apart, with Python's hashlib: sha256(salt + ":" + key), first 8 bytes
    // big-endian, top 53 bits / 2^53. Any change to the hashing moves existing splits and
    // must fail here.
    let expected: [(&str, &str, f64, Split); 4] = [
        ("fakescope", "alice", 0.9798741678501978, Split::Train), // fad908911c9fd94b…
        ("fakescope", "carol", 0.06074140274301443, Split::Val),  // 0f8cbfa24b5e955d…
        ("fakescope", "victor", 0.10796028069930297, Split::Test), // 1ba348f2ded83614…
        ("other", "alice", 0.03720775381693686, Split::Val),      // 09867285cd262141…
    ];
    for (salt, key, u, split) in expected {
        assert_eq!(key_fraction(salt, key), u, "{salt}:{key}");
        assert_eq!(split_of_key(salt, key, 0.1, 0.1), split, "{salt}:{key}");
    }
    // Through assign_splits: all of carol's samples go to val.
    let mut ds = dataset(vec![
        sample("1.jpg", Label::Real, None, Some("carol")),
        sample("2.jpg", Label::Fake, None, Some("carol")),
        sample("3.jpg", Label::Fake, None, Some("victor")),
        sample("4.jpg", Label::Fake, None, Some("alice")),
    ]);
    assign_splits(&mut ds, &by_key(GroupKey::Group, 0.1, 0.1, "fakescope")).unwrap();
    let splits: Vec<_> = ds.samples.iter().map(|s| s.split.unwrap()).collect();
    assert_eq!(splits, [Split::Val, Split::Val, Split::Test, Split::Train]);
}

#[test]
fn from_manifest_keeps_splits_and_needs_them() {
    let mut ds = dataset(vec![
        sample("a.jpg", Label::Real, Some(Split::Train), Some("alice")),
        sample("b.jpg", Label::Fake, Some(Split::Val), Some("bob")),
        sample("c.jpg", Label::Fake, Some(Split::Heldout), None),
    ]);
    let summary = assign_splits(&mut ds, &SplitRule::FromManifest).unwrap();
    assert_eq!(summary.get(Some(Split::Train)), Counts { real: 1, fake: 0 });
    assert_eq!(
        summary.get(Some(Split::Heldout)),
        Counts { real: 0, fake: 1 }
    );
    assert_eq!(summary.total().total(), 3);

    let mut ds = dataset(vec![
        sample("a.jpg", Label::Real, Some(Split::Train), None),
        sample("b.jpg", Label::Fake, None, None),
    ]);
    let before = ds.clone();
    let err = assign_splits(&mut ds, &SplitRule::FromManifest).unwrap_err();
    assert!(matches!(err, Error::NoSplit { index: 1, .. }), "{err:?}");
    let m = err.to_string();
    assert!(
        m.contains("/data/t.csv") && m.contains("sample 1 (/data/b.jpg) has no split"),
        "{m}"
    );
    assert_eq!(ds, before);
}

#[test]
fn from_manifest_refuses_leaks() {
    let mut ds = dataset(vec![
        sample("a.jpg", Label::Real, Some(Split::Train), Some("alice")),
        sample("b.jpg", Label::Fake, Some(Split::Train), Some("bob")),
        sample("c.jpg", Label::Real, Some(Split::Test), Some("alice")),
    ]);
    let m = message(assign_splits(&mut ds, &SplitRule::FromManifest));
    assert!(m.contains("/data/t.csv"), "{m}");
    assert!(
        m.contains("group \"alice\" is in both train (/data/a.jpg) and test (/data/c.jpg)"),
        "{m}"
    );
    // Videos and files too.
    let mut v = sample("a.jpg", Label::Real, Some(Split::Val), None);
    v.video = Some("vid".into());
    let mut w = sample("b.jpg", Label::Real, Some(Split::Train), None);
    w.video = Some("vid".into());
    let mut ds = dataset(vec![v, w]);
    let m = message(assign_splits(&mut ds, &SplitRule::FromManifest));
    assert!(
        m.contains("video \"vid\" is in both val") && m.contains("and train"),
        "{m}"
    );
    let mut ds = dataset(vec![
        sample("a.jpg", Label::Real, Some(Split::Val), None),
        sample("a.jpg", Label::Real, Some(Split::Test), None),
    ]);
    let m = message(assign_splits(&mut ds, &SplitRule::FromManifest));
    assert!(m.contains("file \"/data/a.jpg\" is in both val"), "{m}");
}

#[test]
fn by_key_keeps_groups_together_and_overrides_the_manifest() {
    let mut samples = Vec::new();
    for g in 0..200 {
        for i in 0..5 {
            let label = if i % 2 == 0 { Label::Real } else { Label::Fake };
            samples.push(sample(
                &format!("{g}/{i}.jpg"),
                label,
                Some(Split::Heldout),
                Some(&format!("id{g}")),
            ));
        }
    }
    let mut ds = dataset(samples);
    let rule = by_key(GroupKey::Group, 0.2, 0.2, "s");
    let summary = assign_splits(&mut ds, &rule).unwrap();
    assert_eq!(summary.get(Some(Split::Heldout)).total(), 0);
    let mut of_group: HashMap<&str, Split> = HashMap::new();
    for s in &ds.samples {
        let split = s.split.unwrap();
        let g = s.group.as_deref().unwrap();
        assert_eq!(*of_group.entry(g).or_insert(split), split, "{g}");
        assert_eq!(split, split_of_key("s", g, 0.2, 0.2));
    }
    // Deterministic: again gives the same.
    let again = {
        let mut d = ds.clone();
        assign_splits(&mut d, &rule).unwrap();
        d
    };
    assert_eq!(again, ds);
    // Another salt, another split.
    let mut other = ds.clone();
    assign_splits(&mut other, &by_key(GroupKey::Group, 0.2, 0.2, "t")).unwrap();
    assert_ne!(other, ds);
}

#[test]
fn by_key_needs_the_key() {
    let mut ds = dataset(vec![
        sample("a.jpg", Label::Real, None, Some("alice")),
        sample("b.jpg", Label::Fake, None, None),
    ]);
    let err = assign_splits(&mut ds, &by_key(GroupKey::Group, 0.1, 0.1, "s")).unwrap_err();
    let m = err.to_string();
    assert!(
        m.contains("/data/t.csv: sample /data/b.jpg has no group to split by"),
        "{m}"
    );
    let m = message(assign_splits(
        &mut ds,
        &by_key(GroupKey::Video, 0.1, 0.1, "s"),
    ));
    assert!(m.contains("sample /data/a.jpg has no video"), "{m}");
    assert!(ds.samples.iter().all(|s| s.split.is_none()));
}

#[test]
fn bad_fractions() {
    let mut ds = dataset(vec![sample("a.jpg", Label::Real, None, Some("a"))]);
    for (v, t) in [
        (0.6, 0.5),
        (-0.1, 0.1),
        (f64::NAN, 0.1),
        (0.1, f64::INFINITY),
    ] {
        let m = message(assign_splits(&mut ds, &by_key(GroupKey::Group, v, t, "s")));
        assert!(m.contains("invalid split rule"), "{m}");
    }
    assign_splits(&mut ds, &by_key(GroupKey::Group, 0.0, 1.0, "s")).unwrap();
    assert_eq!(ds.samples[0].split, Some(Split::Test));
    assign_splits(&mut ds, &by_key(GroupKey::Group, 0.0, 0.0, "s")).unwrap();
    assert_eq!(ds.samples[0].split, Some(Split::Train));
}

#[test]
fn fractions_hold_on_ten_thousand_keys() {
    let samples: Vec<Sample> = (0..10_000)
        .map(|i| sample(&format!("{i}.jpg"), Label::Real, None, None))
        .collect();
    let mut ds = dataset(samples);
    let summary = assign_splits(&mut ds, &by_key(GroupKey::Path, 0.1, 0.2, "fakescope")).unwrap();
    let share = |s: Split| summary.get(Some(s)).total() as f64 / 10_000.0;
    // Binomial standard deviations: 0.3 % and 0.4 %; allow about 4 of them.
    assert!((share(Split::Val) - 0.1).abs() < 0.012, "{summary}");
    assert!((share(Split::Test) - 0.2).abs() < 0.016, "{summary}");
    assert!((share(Split::Train) - 0.7).abs() < 0.018, "{summary}");
}

#[test]
fn path_keys_do_not_depend_on_where_the_dataset_sits() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let text: String = std::iter::once("path,label\n".to_string())
        .chain((0..50).map(|i| format!("img/{i}.jpg,real\n")))
        .collect();
    let rule = by_key(GroupKey::Path, 0.3, 0.3, "s");
    let mut splits = Vec::new();
    for dir in [&a, &b] {
        let path = write(dir.path(), "m.csv", &text);
        let mut ds = open(&path, &OpenOptions::default()).unwrap();
        assign_splits(&mut ds, &rule).unwrap();
        let s: Vec<_> = ds.samples.iter().map(|s| s.split).collect();
        for (sample, split) in ds.samples.iter().zip(&s) {
            let rel = sample.path.strip_prefix(dir.path()).unwrap();
            assert_eq!(
                *split,
                Some(split_of_key("s", &rel.to_string_lossy(), 0.3, 0.3))
            );
        }
        splits.push(s);
    }
    assert_eq!(splits[0], splits[1]);
}

#[test]
fn keep_then_by_key() {
    let mut ds = dataset(vec![
        sample("a1.jpg", Label::Real, Some(Split::Test), Some("alice")),
        sample("a2.jpg", Label::Fake, None, Some("alice")),
        sample("b1.jpg", Label::Real, Some(Split::Heldout), None),
        sample("c1.jpg", Label::Real, None, Some("carol")),
    ]);
    let rule = SplitRule::KeepThenByKey {
        key: GroupKey::Group,
        val_fraction: 0.0,
        test_fraction: 0.0,
        salt: "s".into(),
    };
    assign_splits(&mut ds, &rule).unwrap();
    let splits: Vec<_> = ds.samples.iter().map(|s| s.split.unwrap()).collect();
    // a2 follows alice's manifest split; b1 keeps its own without a group; carol is hashed.
    assert_eq!(
        splits,
        [Split::Test, Split::Test, Split::Heldout, Split::Train]
    );

    let mut ds = dataset(vec![sample("x.jpg", Label::Real, None, None)]);
    let m = message(assign_splits(&mut ds, &rule));
    assert!(m.contains("sample /data/x.jpg has no group"), "{m}");
}

#[test]
fn summary_table_and_helpers() {
    let mut ds = dataset(vec![
        sample("a.jpg", Label::Real, Some(Split::Train), None),
        sample("b.jpg", Label::Fake, Some(Split::Train), None),
        sample("c.jpg", Label::Real, Some(Split::Val), None),
        sample("d.jpg", Label::Real, None, None),
    ]);
    let table = ds.counts().to_string();
    assert_eq!(
        table,
        "split   real  fake  total\n\
         (none)     1     0      1\n\
         train      1     1      2\n\
         val        1     0      1\n\
         total      3     1      4\n"
    );
    assert_eq!(ds.split(Split::Train).len(), 2);
    let reals = ds.filter(|s| s.label == Label::Real);
    assert_eq!(reals.samples.len(), 3);
    assert_eq!(
        (reals.name.as_str(), reals.origin.as_path()),
        ("t", ds.origin.as_path())
    );
    ds.samples.pop();
    let summary = assign_splits(&mut ds, &SplitRule::FromManifest).unwrap();
    assert_eq!(summary, SplitSummary::of(&ds.samples));
    assert_eq!(
        Counts::of(ds.split(Split::Train)),
        Counts { real: 1, fake: 1 }
    );
}

#[test]
fn trainable_checks() {
    let reals: Vec<Sample> = (0..3)
        .map(|i| sample(&format!("{i}"), Label::Real, None, None))
        .collect();
    let m = message(check_trainable(&reals, "train split", false));
    assert_eq!(
        m,
        "train split has only real samples (3); add fakes or a synthesiser such as SBI"
    );
    check_trainable(&reals, "train split", true).unwrap();
    let fakes = [sample("f", Label::Fake, None, None)];
    let m = message(check_trainable(&fakes, "val split", false));
    assert_eq!(m, "val split has only fake samples (1); add real samples");
    let none: Vec<&Sample> = Vec::new();
    assert_eq!(
        message(check_trainable(none.clone(), "train split", true)),
        "train split is empty"
    );
    assert_eq!(
        message(check_trainable(none, "train split", false)),
        "train split is empty"
    );
    let both: Vec<&Sample> = reals.iter().chain(&fakes).collect();
    check_trainable(both, "train split", false).unwrap();
}

#[test]
fn labels_and_splits_parse() {
    for (text, label) in [
        ("0", Label::Real),
        (" REAL ", Label::Real),
        ("BonaFide", Label::Real),
        ("bona fide", Label::Real),
        ("Genuine", Label::Real),
        ("1", Label::Fake),
        ("Fake", Label::Fake),
        ("SPOOF", Label::Fake),
    ] {
        assert_eq!(Label::parse(text), Some(label), "{text}");
    }
    for text in ["", "2", "deepfake?", "true", "bona  fide"] {
        assert_eq!(Label::parse(text), None, "{text}");
    }
    for (text, split) in [
        ("train", Split::Train),
        ("Val", Split::Val),
        ("validation", Split::Val),
        ("DEV", Split::Val),
        ("test", Split::Test),
        ("heldout", Split::Heldout),
    ] {
        assert_eq!(Split::parse(text), Some(split), "{text}");
    }
    assert!("training".parse::<Split>().is_err());
}

use fakescope_datasets::{
    Error, Label, Location, OpenOptions, Split, open, read_csv, read_deepfakebench, read_folder,
    read_jsonl,
};

use crate::{message, write};

fn check() -> OpenOptions {
    OpenOptions { check_files: true }
}

// ---------------------------------------------------------------- folder

#[test]
fn folder_walks_class_folders_recursively_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("set");
    for name in [
        "Real/b.JPG",
        "Real/a.png",
        "Real/sub/c.wav",
        "Real/notes.txt",
        "Real/.hidden.jpg",
        "Real/.cache/d.jpg",
        "DeepFake/x.mp4",
        "spoof/y.flac",
        "other/z.jpg",
        "top.jpg",
    ] {
        write(&root, name, "");
    }
    let ds = open(&root, &OpenOptions::default()).unwrap();
    assert_eq!(ds.name, "set");
    assert_eq!(ds.origin, root);
    let got: Vec<(String, Label)> = ds
        .samples
        .iter()
        .map(|s| {
            let rel = s.path.strip_prefix(&root).unwrap();
            (rel.to_string_lossy().replace('\\', "/"), s.label)
        })
        .collect();
    assert_eq!(
        got,
        [
            ("DeepFake/x.mp4".to_string(), Label::Fake),
            ("Real/a.png".to_string(), Label::Real),
            ("Real/b.JPG".to_string(), Label::Real),
            ("Real/sub/c.wav".to_string(), Label::Real),
            ("spoof/y.flac".to_string(), Label::Fake),
        ]
    );
    assert!(
        ds.samples
            .iter()
            .all(|s| s.split.is_none() && s.group.is_none())
    );
    // Same answer through the named reader, and with check_files.
    assert_eq!(read_folder(&root, &check()).unwrap(), ds);
}

#[test]
fn folder_aliases_bonafide_and_fake() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bonafide/a.flac", "");
    write(dir.path(), "fake/b.flac", "");
    let ds = open(dir.path(), &OpenOptions::default()).unwrap();
    let labels: Vec<Label> = ds.samples.iter().map(|s| s.label).collect();
    assert_eq!(labels, [Label::Real, Label::Fake]);
}

#[test]
fn folder_without_class_folders_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "images/a.jpg", "");
    let m = message(open(dir.path(), &OpenOptions::default()));
    assert!(m.contains(&dir.path().display().to_string()), "{m}");
    assert!(m.contains("no class subfolder"), "{m}");
    assert!(
        m.contains("real, bonafide") && m.contains("fake, deepfake, spoof"),
        "{m}"
    );
}

#[test]
fn folder_without_media_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "real/readme.txt", "");
    std::fs::create_dir_all(dir.path().join("fake")).unwrap();
    let m = message(open(dir.path(), &OpenOptions::default()));
    assert!(m.contains("no media files"), "{m}");
}

#[cfg(unix)]
#[test]
fn folder_link_loops_end() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "real/a.jpg", "");
    std::os::unix::fs::symlink(dir.path().join("real"), dir.path().join("real/loop")).unwrap();
    let ds = open(dir.path(), &OpenOptions::default()).unwrap();
    assert_eq!(ds.samples.len(), 1);
}

// ---------------------------------------------------------------- CSV

const CSV: &str = "\
path,label,split,source,generator,group,video,width,height,license,format,bytes,origin
real/a.jpg,real,train,utk,none,alice,,200,200,\"terms, non-commercial\",JPEG,10,x@y
fake/b.jpg,FAKE,validation,gen,sd15,bob,v1,200,200,cc,JPEG,10,x@y
/abs/c.jpg,0,test,,,,,1,1,,,,
d.jpg, Bona Fide ,dev,,,,,1,1,,,,
e.jpg,genuine,heldout,,,,,1,1,,,,
f.jpg,spoof,,,,,,1,1,,,,
g.jpg,1,TRAIN,,,,,1,1,,,,
h.jpg,bonafide,,,,,,1,1,,,,
";

#[test]
fn csv_reads_every_field_and_ignores_extra_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "corpus.csv", CSV);
    let ds = open(&path, &OpenOptions::default()).unwrap();
    assert_eq!(ds.name, "corpus");
    assert_eq!(ds.samples.len(), 8);
    let a = &ds.samples[0];
    assert_eq!(a.path, dir.path().join("real/a.jpg"));
    assert_eq!(a.label, Label::Real);
    assert_eq!(a.split, Some(Split::Train));
    assert_eq!(a.source.as_deref(), Some("utk"));
    assert_eq!(a.generator.as_deref(), Some("none"));
    assert_eq!(a.group.as_deref(), Some("alice"));
    assert_eq!(a.video, None);
    let b = &ds.samples[1];
    assert_eq!((b.label, b.split), (Label::Fake, Some(Split::Val)));
    assert_eq!(b.video.as_deref(), Some("v1"));
    assert_eq!(ds.samples[2].path, std::path::Path::new("/abs/c.jpg"));
    let labels: Vec<u8> = ds.samples.iter().map(|s| s.label.as_u8()).collect();
    assert_eq!(labels, [0, 1, 0, 0, 0, 1, 1, 0]);
    let splits: Vec<Option<Split>> = ds.samples.iter().map(|s| s.split).collect();
    assert_eq!(
        splits,
        [
            Some(Split::Train),
            Some(Split::Val),
            Some(Split::Test),
            Some(Split::Val),
            Some(Split::Heldout),
            None,
            Some(Split::Train),
            None
        ]
    );
    assert_eq!(read_csv(&path, &OpenOptions::default()).unwrap(), ds);
}

#[test]
fn csv_group_like_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "a.csv",
        "Label,PATH,speaker,identity,video\n\
         1,a.wav,spk1,,\n\
         0,b.wav,spk2,id2,vid\n",
    );
    let ds = open(&path, &OpenOptions::default()).unwrap();
    assert_eq!(ds.samples[0].group.as_deref(), Some("spk1"));
    assert_eq!(ds.samples[1].group.as_deref(), Some("id2"));
    assert_eq!(ds.samples[1].video.as_deref(), Some("vid"));
    let path = write(
        dir.path(),
        "b.csv",
        "path,label,group,speaker\nx.wav,1,g,s\n",
    );
    let ds = open(&path, &OpenOptions::default()).unwrap();
    assert_eq!(ds.samples[0].group.as_deref(), Some("g"));
}

#[test]
fn csv_with_a_byte_order_mark() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "bom.csv", "\u{feff}path,label\na.jpg,real\n");
    let ds = open(&path, &OpenOptions::default()).unwrap();
    assert_eq!(ds.samples.len(), 1);
}

#[test]
fn manifest_named_manifest_takes_its_folder_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "images/manifest.csv",
        "path,label\na.jpg,real\n",
    );
    assert_eq!(open(&path, &OpenOptions::default()).unwrap().name, "images");
}

#[test]
fn csv_missing_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "m.csv", "path,split\na.jpg,train\n");
    let m = message(open(&path, &OpenOptions::default()));
    assert!(m.starts_with(&path.display().to_string()), "{m}");
    assert!(m.contains("no `label` column"), "{m}");
    let path = write(dir.path(), "n.csv", "file,label\na.jpg,1\n");
    assert!(message(open(&path, &OpenOptions::default())).contains("no `path` column"));
}

#[test]
fn csv_duplicate_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "m.csv", "path,label,Label\na.jpg,1,0\n");
    let m = message(open(&path, &OpenOptions::default()));
    assert!(m.contains("column `label` appears twice"), "{m}");
}

#[test]
fn csv_bad_label_names_row_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "m.csv",
        "path,label\na.jpg,real\nb.jpg,fake\nc.jpg,maybe\n",
    );
    let err = open(&path, &OpenOptions::default()).unwrap_err();
    match &err {
        Error::Record { path: p, at, .. } => {
            assert_eq!(p, &path);
            assert_eq!(at, &Location::Row { row: 3, line: 4 });
        }
        other => panic!("unexpected {other:?}"),
    }
    let m = err.to_string();
    assert!(m.contains("row 3 (line 4)"), "{m}");
    assert!(m.contains("\"maybe\""), "{m}");
}

#[test]
fn csv_bad_split_and_empty_cells() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "m.csv",
        "path,label,split\na.jpg,real,training\n",
    );
    let m = message(open(&path, &OpenOptions::default()));
    assert!(
        m.contains("row 1 (line 2)") && m.contains("\"training\""),
        "{m}"
    );
    let path = write(dir.path(), "n.csv", "path,label\na.jpg,\n");
    let m = message(open(&path, &OpenOptions::default()));
    assert!(m.contains("row 1 (line 2): `label` is empty"), "{m}");
    let path = write(dir.path(), "o.csv", "path,label\n,1\n");
    assert!(message(open(&path, &OpenOptions::default())).contains("`path` is empty"));
}

#[test]
fn csv_ragged_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "m.csv", "path,label\na.jpg,real\nb.jpg\n");
    let m = message(open(&path, &OpenOptions::default()));
    assert!(m.contains("line 3"), "{m}");
    assert!(m.contains("1 fields where the header has 2"), "{m}");
}

#[test]
fn csv_not_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.csv");
    std::fs::write(&path, b"path,label\na\xff.jpg,real\n").unwrap();
    let m = message(open(&path, &OpenOptions::default()));
    assert!(
        m.contains("row 1 (line 2)") && m.contains("not UTF-8"),
        "{m}"
    );
}

#[test]
fn empty_manifests() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "empty.csv", "");
    let m = message(open(&path, &OpenOptions::default()));
    assert!(m.contains("empty.csv") && m.contains("no header"), "{m}");
    let path = write(dir.path(), "header.csv", "path,label\n");
    let m = message(open(&path, &OpenOptions::default()));
    assert!(m.contains("header.csv") && m.contains("no samples"), "{m}");
    let path = write(dir.path(), "blank.jsonl", "\n  \n");
    let m = message(open(&path, &OpenOptions::default()));
    assert!(m.contains("blank.jsonl") && m.contains("no samples"), "{m}");
}

#[test]
fn check_files_lists_ten_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("path,label\nthere.jpg,real\n");
    for i in 0..12 {
        text.push_str(&format!("gone{i:02}.jpg,fake\n"));
    }
    write(dir.path(), "there.jpg", "");
    let path = write(dir.path(), "m.csv", &text);
    // Without the check, missing files are fine.
    assert_eq!(
        open(&path, &OpenOptions::default()).unwrap().samples.len(),
        13
    );
    let err = open(&path, &check()).unwrap_err();
    let Error::MissingFiles { count, missing, .. } = &err else {
        panic!("unexpected {err:?}");
    };
    assert_eq!(*count, 12);
    assert_eq!(missing.len(), 10);
    assert_eq!(missing[0], dir.path().join("gone00.jpg"));
    let m = err.to_string();
    assert!(m.starts_with(&path.display().to_string()), "{m}");
    assert!(m.contains("12 listed file(s) do not exist"), "{m}");
    assert!(m.contains("gone09.jpg") && !m.contains("gone10.jpg"), "{m}");
    assert!(m.ends_with("and 2 more"), "{m}");
}

#[test]
fn unknown_kinds_and_missing_paths() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "list.dat", "a.jpg 1\n");
    assert!(message(open(&path, &OpenOptions::default())).contains("unknown kind"));
    // .txt is read as an ASVspoof protocol, and says when it is none.
    let path = write(dir.path(), "list.txt", "a.jpg 1\n");
    let m = message(open(&path, &OpenOptions::default()));
    assert!(m.contains("line 1: not an ASVspoof protocol"), "{m}");
    let gone = dir.path().join("gone.csv");
    let m = message(open(&gone, &OpenOptions::default()));
    assert!(m.contains("gone.csv"), "{m}");
}

// ---------------------------------------------------------------- JSON Lines

#[test]
fn jsonl_reads_numbers_strings_and_blank_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "audio.jsonl",
        "{\"path\": \"a.flac\", \"label\": 0, \"split\": \"train\", \"speaker\": 19, \"extra\": [1]}\n\
         \n\
         {\"path\": \"b.flac\", \"label\": \"spoof\", \"split\": null, \"generator\": \"A07\", \"group\": \"LA_0079\"}\r\n\
         {\"path\": \"c.flac\", \"label\": 1, \"video\": \"v\", \"source\": \"asv\"}",
    );
    let ds = open(&path, &OpenOptions::default()).unwrap();
    assert_eq!(ds.name, "audio");
    assert_eq!(ds.samples.len(), 3);
    let a = &ds.samples[0];
    assert_eq!(a.path, dir.path().join("a.flac"));
    assert_eq!((a.label, a.split), (Label::Real, Some(Split::Train)));
    assert_eq!(a.group.as_deref(), Some("19"));
    let b = &ds.samples[1];
    assert_eq!((b.label, b.split), (Label::Fake, None));
    assert_eq!(b.generator.as_deref(), Some("A07"));
    assert_eq!(b.group.as_deref(), Some("LA_0079"));
    let c = &ds.samples[2];
    assert_eq!(c.video.as_deref(), Some("v"));
    assert_eq!(c.source.as_deref(), Some("asv"));
    assert_eq!(read_jsonl(&path, &OpenOptions::default()).unwrap(), ds);
}

#[test]
fn jsonl_invalid_json_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "m.jsonl",
        "{\"path\":\"a\",\"label\":1}\n\n{\"path\":\"b\",\"label\":\n",
    );
    let err = open(&path, &OpenOptions::default()).unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Record {
                at: Location::Line(3),
                ..
            }
        ),
        "{err:?}"
    );
    let m = err.to_string();
    assert!(m.starts_with(&path.display().to_string()), "{m}");
    assert!(m.contains("line 3: invalid JSON"), "{m}");
}

#[test]
fn jsonl_bad_records() {
    let dir = tempfile::tempdir().unwrap();
    for (text, expected) in [
        ("[1, 2]\n", "line 1: expected a JSON object, found an array"),
        ("{\"label\": 1}\n", "line 1: no `path` field"),
        ("{\"path\": \"a\"}\n", "line 1: no `label` field"),
        (
            "{\"path\": \"a\", \"label\": 2}\n",
            "line 1: label \"2\" is not one of",
        ),
        (
            "{\"path\": \"a\", \"label\": true}\n",
            "`label` must be a string or a number",
        ),
        (
            "{\"path\": \"a\", \"label\": 1, \"group\": {}}\n",
            "`group` must be",
        ),
        (
            "{\"path\": \"a\", \"label\": 1, \"split\": \"x\"}\n",
            "unknown split \"x\"",
        ),
    ] {
        let path = write(dir.path(), "m.jsonl", text);
        let m = message(open(&path, &OpenOptions::default()));
        assert!(m.contains(expected), "{text}: {m}");
        assert!(m.contains("m.jsonl"), "{m}");
    }
}

#[test]
fn jsonl_check_files() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.wav", "");
    let path = write(
        dir.path(),
        "m.jsonl",
        "{\"path\":\"a.wav\",\"label\":1}\n{\"path\":\"b.wav\",\"label\":0}\n",
    );
    let m = message(open(&path, &check()));
    assert!(
        m.contains("1 listed file(s) do not exist") && m.contains("b.wav"),
        "{m}"
    );
}

// ---------------------------------------------------------------- DeepfakeBench

const DFB: &str = r#"{"FaceForensics++": {
  "FF-DF": {
    "train": {"c23": {"000_003": {"label": "FF-DF", "frames": ["frames/000_003/000.png", "frames/000_003/001.png"]}}},
    "val": {"c23": {}},
    "test": {"c23": {"001_002": {"label": "FF-DF", "frames": ["/abs/001_002/000.png"]}}}
  },
  "FF-real": {
    "train": {"c23": {"000": {"label": "FF-real", "frames": ["frames/000/000.png"]}}},
    "val": {"c23": {"004": {"label": "FF-real", "frames": ["frames/004/000.png"]}}},
    "test": {"c23": {}}
  }
}}"#;

#[test]
fn deepfakebench_one_sample_per_frame() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "FaceForensics++.json", DFB);
    let ds = open(&path, &OpenOptions::default()).unwrap();
    assert_eq!(ds.name, "FaceForensics++");
    assert_eq!(ds.samples.len(), 5);
    // Key order is serde_json's (sorted, or the file's with `preserve_order`): look up by video.
    let df: Vec<_> = ds
        .samples
        .iter()
        .filter(|s| s.video.as_deref() == Some("000_003"))
        .collect();
    assert_eq!(df.len(), 2);
    assert_eq!(df[1].path, dir.path().join("frames/000_003/001.png"));
    assert_eq!(df[0].path, dir.path().join("frames/000_003/000.png"));
    assert_eq!(df[0].label, Label::Fake);
    assert_eq!(df[0].split, Some(Split::Train));
    assert_eq!(df[0].video.as_deref(), Some("000_003"));
    assert_eq!(df[0].group.as_deref(), Some("000_003"));
    let test: Vec<_> = ds.split(Split::Test);
    assert_eq!(test.len(), 1);
    assert_eq!(test[0].path, std::path::Path::new("/abs/001_002/000.png"));
    let real: Vec<_> = ds
        .samples
        .iter()
        .filter(|s| s.label == Label::Real)
        .collect();
    assert_eq!(real.len(), 2);
    assert!(real.iter().all(|s| s.source.as_deref() == Some("FF-real")));
    assert_eq!(ds.split(Split::Val)[0].video.as_deref(), Some("004"));
    assert_eq!(
        read_deepfakebench(&path, &OpenOptions::default()).unwrap(),
        ds
    );
}

#[test]
fn deepfakebench_without_compression_level_and_label_names() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "Celeb-DF-v2.json",
        r#"{"Celeb-DF-v2": {
          "CelebDFv2_real": {"train": {"id0_0000": {"label": "CelebDFv2_real", "frames": ["a.png"]}}, "val": {}, "test": {}},
          "CelebDFv2_fake": {"test": {"id0_id1_0000": {"frames": ["b.png", "c.png"]}}},
          "DFDCP_Real": {"val": {"x": {"label": "DFDCP_Real", "frames": ["d.png"]}}}
        }}"#,
    );
    let ds = open(&path, &OpenOptions::default()).unwrap();
    let got: Vec<(Label, Option<Split>, Option<&str>)> = ds
        .samples
        .iter()
        .map(|s| (s.label, s.split, s.source.as_deref()))
        .collect();
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            (Label::Real, Some(Split::Train), Some("CelebDFv2_real")),
            (Label::Real, Some(Split::Val), Some("DFDCP_Real")),
            (Label::Fake, Some(Split::Test), Some("CelebDFv2_fake")),
            (Label::Fake, Some(Split::Test), Some("CelebDFv2_fake")),
        ]
    );
}

#[test]
fn deepfakebench_wrong_layouts() {
    let dir = tempfile::tempdir().unwrap();
    for (text, expected) in [
        ("[1]", "found an array at the top"),
        ("{}", "empty object"),
        (
            "{\"d\": 1}",
            "at d: expected an object of labels, found a number",
        ),
        (
            "{\"d\": {\"L\": []}}",
            "at d/L: expected an object of splits",
        ),
        (
            "{\"d\": {\"L\": {\"training\": {}}}}",
            "at d/L/training: unknown split \"training\"",
        ),
        (
            "{\"d\": {\"L\": {\"train\": {\"v\": 3}}}}",
            "at d/L/train/v: expected an object of a video",
        ),
        (
            "{\"d\": {\"L\": {\"train\": {\"c23\": {\"v\": {\"label\": \"L\"}}}}}}",
            "at d/L/train/c23/v: a video needs a `frames` list",
        ),
        (
            "{\"d\": {\"L\": {\"train\": {\"v\": {\"frames\": \"a.png\"}}}}}",
            "at d/L/train/v: `frames` must be a list, found a string",
        ),
        (
            "{\"d\": {\"L\": {\"train\": {\"v\": {\"frames\": [1]}}}}}",
            "frame 0 must be a path string, found a number",
        ),
        (
            "{\"d\": {\"L\": {\"train\": {\"v\": {\"label\": 1, \"frames\": []}}}}}",
            "`label` must be a string",
        ),
        (
            "{\"d\": {\"L\": {\"train\": {\"v\": {\"frames\": []}}}}}",
            "no samples",
        ),
        ("{\"d\": ", "invalid JSON"),
    ] {
        let path = write(dir.path(), "d.json", text);
        let m = message(open(&path, &OpenOptions::default()));
        assert!(m.contains(expected), "{text}: {m}");
        assert!(m.starts_with(&path.display().to_string()), "{m}");
    }
}

#[test]
fn deepfakebench_check_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "FaceForensics++.json", DFB);
    let m = message(open(&path, &check()));
    assert!(m.contains("5 listed file(s) do not exist"), "{m}");
    for f in [
        "frames/000_003/000.png",
        "frames/000_003/001.png",
        "frames/000/000.png",
        "frames/004/000.png",
    ] {
        write(dir.path(), f, "");
    }
    let m = message(open(&path, &check()));
    assert!(
        m.contains("1 listed file(s) do not exist: /abs/001_002/000.png"),
        "{m}"
    );
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let deep = "[".repeat(100_000);
    let mut noise = Vec::new();
    let mut x: u32 = 12345;
    for _ in 0..4096 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        noise.push((x >> 16) as u8);
    }
    for ext in ["csv", "jsonl", "json"] {
        for (i, bytes) in [
            deep.as_bytes(),
            &noise,
            b"\0\0\0",
            b"\"",
            b"path,label\n\"a",
        ]
        .iter()
        .enumerate()
        {
            let path = dir.path().join(format!("g{i}.{ext}"));
            std::fs::write(&path, bytes).unwrap();
            let m = message(open(&path, &OpenOptions::default()));
            assert!(m.contains(&path.display().to_string()), "{m}");
        }
    }
}

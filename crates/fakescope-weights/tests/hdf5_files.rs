//! HDF5 (Keras `.h5`) weight files: the four published MesoNet files and small files made with
//! h5py 3 (`tests/corpus/hdf5`, also the fuzzer's seeds), plus hostile variants of them.
//!
//! The expected values were printed once with h5py from the shared files
//! (`h5py.File(p)[layer][weight_name][()]`, listing weights through the `layer_names` /
//! `weight_names` attributes as Keras does) and are hard-coded here.

use std::path::{Path, PathBuf};

use fakescope_weights::{DType, Error, Format, StateDict};

fn models() -> Option<PathBuf> {
    let dir = std::env::var_os("FAKESCOPE_MODELS")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("FAKESCOPE_SHARED").map(|s| PathBuf::from(s).join("models")))
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/models"));
    let dir = dir.join("mesonet");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: no MesoNet weights at {}", dir.display());
        None
    }
}

fn seed(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/corpus/hdf5")
            .join(name),
    )
    .unwrap()
}

fn close(a: f32, b: f64) -> bool {
    (f64::from(a) - b).abs() < 1e-7
}

/// (file, number of tensors, total elements, first weight, its first 3 values,
///  dense kernel, its last value, last BN variance, its first value)
type Expected = (
    &'static str,
    usize,
    usize,
    &'static str,
    [f64; 3],
    &'static str,
    f64,
    &'static str,
    f64,
);

const MESONET: [Expected; 4] = [
    (
        "Meso4_DF.h5",
        28,
        28073,
        "conv2d_5/kernel:0",
        [
            0.15786275267601013,
            -0.0629085972905159,
            0.21134226024150848,
        ],
        "dense_3/kernel:0",
        0.015696382150053978,
        "batch_normalization_8/moving_variance:0",
        9.581231117248535,
    ),
    (
        "Meso4_F2F.h5",
        28,
        28073,
        "conv2d_5/kernel:0",
        [
            0.15286710858345032,
            -0.09026359766721725,
            0.26335790753364563,
        ],
        "dense_3/kernel:0",
        -0.010105741210281849,
        "batch_normalization_8/moving_variance:0",
        0.9989622235298157,
    ),
    (
        "MesoInception_DF.h5",
        52,
        28725,
        "conv2d_2/kernel:0",
        [0.6303686499595642, -0.0985410213470459, -0.7340987324714661],
        "dense_1/kernel:0",
        0.006798329297453165,
        "batch_normalization_4/moving_variance:0",
        3.2713677883148193,
    ),
    (
        "MesoInception_F2F.h5",
        52,
        28725,
        "conv2d_2/kernel:0",
        [
            0.6773411631584167,
            -0.12879008054733276,
            -0.7499254941940308,
        ],
        "dense_1/kernel:0",
        0.036454830318689346,
        "batch_normalization_4/moving_variance:0",
        1.4296038150787354,
    ),
];

#[test]
fn mesonet_files_match_h5py() {
    let Some(dir) = models() else { return };
    for (file, count, total, first, values, dense, last, var, var0) in MESONET {
        let path = dir.join(file);
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(Format::sniff(&bytes), Some(Format::Hdf5));
        let sd = StateDict::load(&path).unwrap();
        assert_eq!(sd.len(), count, "{file}");
        let elements: usize = sd.tensors.values().map(|t| t.data.len()).sum();
        assert_eq!(elements, total, "{file}");
        let t = sd.get(first).unwrap();
        assert_eq!(t.dtype, DType::F32);
        for (a, b) in t.data.iter().zip(values) {
            assert!(close(*a, b), "{file} {first}: {a} vs {b}");
        }
        let d = sd.get_shaped(dense, &[1024, 16]).unwrap();
        assert!(close(*d.data.last().unwrap(), last), "{file} {dense}");
        let v = sd.get_shaped(var, &[16]).unwrap();
        assert!(close(v.data[0], var0), "{file} {var}");
    }
    // Shapes and names as Keras lists them (HWIO kernels).
    let sd = StateDict::load(&dir.join("MesoInception_DF.h5")).unwrap();
    for (key, shape) in [
        ("conv2d_1/kernel:0", &[1, 1, 3, 1][..]),
        ("conv2d_7/kernel:0", &[3, 3, 2, 2]),
        ("conv2d_15/kernel:0", &[5, 5, 12, 16]),
        ("batch_normalization_1/gamma:0", &[11]),
        ("dense_2/kernel:0", &[16, 1]),
        ("dense_2/bias:0", &[1]),
    ] {
        sd.get_shaped(key, shape).unwrap();
    }
}

#[test]
fn keras_layout_in_old_and_new_hdf5_versions() {
    // Superblock 0 with symbol-table groups and fixed-length string attributes, and
    // superblock 3 (libver="latest") with OHDR headers, link messages and variable-length
    // string attributes; the bias is stored big-endian float64.
    for name in ["keras_v0.h5", "keras_latest.h5"] {
        let sd = StateDict::load_bytes(name, &seed(name)).unwrap();
        let keys: Vec<_> = sd.tensors.keys().cloned().collect();
        assert_eq!(keys, ["dense_1/bias:0", "dense_1/kernel:0"], "{name}");
        let k = sd.get_shaped("dense_1/kernel:0", &[3, 2]).unwrap();
        assert_eq!(k.data, [0.0, 0.25, 0.5, 0.75, 1.0, 1.25]);
        let b = sd.get_shaped("dense_1/bias:0", &[2]).unwrap();
        assert_eq!((b.dtype, b.data.as_slice()), (DType::F64, &[1.5, -2.0][..]));
    }
}

#[test]
fn plain_hdf5_datasets_are_named_by_path() {
    let sd = StateDict::load_bytes("plain.h5", &seed("plain_latest.h5")).unwrap();
    let int = sd.get_shaped("a/b/int", &[1, 3]).unwrap();
    assert_eq!(
        (int.dtype, int.data.as_slice()),
        (DType::Int, &[1.0, -2.0, 3.0][..])
    );
    assert_eq!(sd.get_shaped("a/compact", &[2]).unwrap().data, [7.0, 8.0]);
    assert_eq!(sd.get_shaped("scalar", &[]).unwrap().data, [3.25]);
}

#[test]
fn chunked_datasets_are_reported_unsupported_with_their_path() {
    let err = StateDict::load_bytes("c.h5", &seed("chunked.h5")).unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("c.h5: unsupported: object `/z`"),
        "{err}"
    );
}

/// Every prefix and many single-byte corruptions of `bytes` load or fail, never panic; every
/// error names the file.
fn never_panics(name: &str, bytes: &[u8], step: usize) {
    let check = |b: &[u8]| match StateDict::load_bytes(name, b) {
        Ok(sd) => {
            for t in sd.tensors.values() {
                assert_eq!(t.data.len(), t.shape.iter().product::<usize>());
            }
        }
        Err(e) => assert!(e.to_string().starts_with(name), "{e}"),
    };
    for end in (0..bytes.len()).step_by(step) {
        check(&bytes[..end]);
    }
    let mut copy = bytes.to_vec();
    for at in (0..bytes.len()).step_by(step) {
        for flip in [0xff, 0x01, 0x80] {
            copy[at] ^= flip;
            check(&copy);
            copy[at] ^= flip;
        }
    }
}

#[test]
fn truncated_and_flipped_seeds_never_panic() {
    for name in [
        "keras_v0.h5",
        "keras_latest.h5",
        "plain_latest.h5",
        "chunked.h5",
    ] {
        never_panics(name, &seed(name), 1);
    }
}

#[test]
fn truncated_and_flipped_mesonet_never_panics() {
    let Some(dir) = models() else { return };
    let bytes = std::fs::read(dir.join("MesoInception_DF.h5")).unwrap();
    // The structure (superblock, headers, B-trees, heaps) is in the first 12 KiB and around
    // the datasets; stepping by 7 bytes there and 997 beyond covers every kind of field.
    never_panics("m.h5", &bytes[..bytes.len()], 997);
    let mut head = bytes.clone();
    for at in (0..12_288).step_by(7) {
        head[at] ^= 0xff;
        let _ = StateDict::load_bytes("m.h5", &head);
        head[at] ^= 0xff;
    }
}

#[test]
fn limits_are_checked_before_allocating() {
    let limits = fakescope_weights::Limits {
        max_total_elements: 7,
        ..Default::default()
    };
    let err = StateDict::load_bytes_with_limits("k.h5", &seed("keras_v0.h5"), &limits).unwrap_err();
    assert!(
        matches!(err, Error::LimitExceeded { actual: 8, .. }),
        "{err}"
    );
}

#[test]
fn every_corpus_file_replays_without_panic() {
    // Seeds and any input the fuzzer once crashed on (see /fuzz/README.md).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/hdf5");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if let Err(e) = StateDict::load_bytes(&name, &std::fs::read(&path).unwrap()) {
            assert!(e.to_string().starts_with(&name), "{e}");
        }
        seen += 1;
    }
    assert!(seen >= 4, "only {seen} seeds in {}", dir.display());
}

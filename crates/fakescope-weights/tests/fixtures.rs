//! Tiny files written by `fixtures/make_fixtures.py` (torch.save's layout imitated without
//! PyTorch): every storage type, strided views, wrappers, protocol 4, legacy, safetensors.

use std::path::{Path, PathBuf};

use fakescope_weights::{DType, Error, StateDict};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn load(name: &str) -> StateDict {
    StateDict::load(&fixture(name)).unwrap_or_else(|e| panic!("{e}"))
}

fn values(sd: &StateDict, key: &str) -> (Vec<usize>, DType, Vec<f32>) {
    let t = sd.get(key).unwrap();
    (t.shape.clone(), t.dtype, t.data.clone())
}

#[test]
fn checkpoint_wrapping_a_state_dict_exposes_only_the_model() {
    let sd = load("checkpoint.pth");
    let keys: Vec<&str> = sd.tensors.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "b", "bf", "c", "d", "h", "i", "n", "p", "s", "tail", "u", "w", "wt"
        ]
    );
    assert_eq!(
        values(&sd, "w"),
        (vec![2, 3], DType::F32, vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    );
    // The transposed view of the same storage is copied out row-major.
    assert_eq!(
        values(&sd, "wt"),
        (vec![3, 2], DType::F32, vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0])
    );
    assert_eq!(values(&sd, "tail"), (vec![2], DType::F32, vec![4.0, 5.0]));
    assert_eq!(values(&sd, "h"), (vec![2], DType::F16, vec![1.0, -2.5]));
    assert_eq!(values(&sd, "bf"), (vec![2], DType::BF16, vec![1.0, -3.0]));
    assert_eq!(values(&sd, "d"), (vec![1], DType::F64, vec![0.25]));
    assert_eq!(values(&sd, "n"), (vec![], DType::Int, vec![7.0]));
    assert_eq!(
        values(&sd, "c"),
        (vec![3], DType::Int, vec![-1.0, 0.0, 5.0])
    );
    assert_eq!(values(&sd, "u"), (vec![1], DType::Int, vec![255.0]));
    assert_eq!(values(&sd, "s"), (vec![1], DType::Int, vec![-300.0]));
    assert_eq!(values(&sd, "i"), (vec![1], DType::Int, vec![70000.0]));
    assert_eq!(values(&sd, "b"), (vec![2], DType::Bool, vec![1.0, 0.0]));
    // nn.Parameter unwraps to its tensor.
    assert_eq!(values(&sd, "p"), (vec![1], DType::F32, vec![0.5]));
}

#[test]
fn protocol_4_nested_containers_join_keys_with_dots() {
    let sd = load("nested_protocol4.pth");
    let keys: Vec<&str> = sd.tensors.keys().map(String::as_str).collect();
    assert_eq!(keys, ["encoder.0.weight", "head.0", "head.1"]);
    assert_eq!(sd.get("encoder.0.weight").unwrap().data, vec![1.0, 2.0]);
    assert_eq!(sd.get("head.0").unwrap().data, vec![3.0]);
    assert_eq!(sd.get("head.1").unwrap().data, vec![2.0]);
}

#[test]
fn legacy_file_with_column_major_weight() {
    let sd = load("legacy.pt");
    assert_eq!(sd.len(), 3);
    // Storage [1..6] viewed with strides [1, 2] as [2, 3]: rows are [1,3,5] and [2,4,6].
    assert_eq!(
        values(&sd, "conv.weight"),
        (vec![2, 3], DType::F32, vec![1.0, 3.0, 5.0, 2.0, 4.0, 6.0])
    );
    assert_eq!(sd.get("conv.bias").unwrap().data, vec![-1.0, 1.0]);
    assert_eq!(
        values(&sd, "bn.num_batches_tracked"),
        (vec![], DType::Int, vec![12.0])
    );
}

#[test]
fn safetensors_with_mixed_dtypes() {
    let sd = load("mixed.safetensors");
    assert_eq!(sd.len(), 5);
    assert_eq!(
        values(&sd, "half"),
        (vec![2, 2], DType::F16, vec![0.5, -1.0, 65504.0, 0.0])
    );
    assert_eq!(values(&sd, "brain"), (vec![1], DType::BF16, vec![3.140625]));
    assert_eq!(
        values(&sd, "count"),
        (vec![2], DType::Int, vec![-4.0, 1000.0])
    );
    assert_eq!(
        values(&sd, "mask"),
        (vec![3], DType::Bool, vec![1.0, 0.0, 1.0])
    );
    assert_eq!(values(&sd, "empty"), (vec![0, 4], DType::F32, vec![]));
}

#[test]
fn shape_errors_name_file_key_and_both_shapes() {
    let sd = load("legacy.pt");
    let err = sd.get_shaped("conv.weight", &[3, 2]).unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { .. }));
    let text = err.to_string();
    assert!(
        text.contains("legacy.pt") && text.contains("conv.weight"),
        "{text}"
    );
    assert!(text.contains("[2, 3]") && text.contains("[3, 2]"), "{text}");
}

/// Loads a hostile fixture; the error must name the file and contain `needle`.
fn assert_rejected(name: &str, needle: &str) -> Error {
    let err = StateDict::load(&fixture(name)).unwrap_err();
    let text = err.to_string();
    assert!(text.contains(name), "{text}");
    assert!(text.contains(needle), "{text}");
    err
}

#[test]
fn broadcast_bomb_hits_the_element_limit_before_allocating() {
    let err = assert_rejected("bad_broadcast_bomb.pt", "total number of elements");
    assert!(matches!(err, Error::LimitExceeded { .. }), "{err}");
}

#[test]
fn view_past_its_storage_is_rejected() {
    assert_rejected("bad_view_past_storage.pt", "storage holds 1");
}

#[test]
fn storage_shorter_than_claimed_is_rejected() {
    assert_rejected("bad_storage_too_short.pth", "claims 1000 elements");
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    for name in [
        "checkpoint.pth",
        "legacy.pt",
        "nested_protocol4.pth",
        "mixed.safetensors",
    ] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        for len in 0..bytes.len() {
            let result = StateDict::load_bytes(name, &bytes[..len]);
            let err = result
                .err()
                .unwrap_or_else(|| panic!("{name} cut at {len} loaded"));
            assert!(err.to_string().starts_with(name), "{err}");
        }
    }
}

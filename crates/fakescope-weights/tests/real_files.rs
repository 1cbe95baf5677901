//! The published weights fakescope uses, read in place from the shared folder
//! (`FAKESCOPE_MODELS` / `FAKESCOPE_SHARED`, else `../shared` beside the workspace). Without it
//! each test prints "skipped: ..." and passes.

use std::path::{Path, PathBuf};

use fakescope_weights::{DType, StateDict};

/// The shared folder's `sub` directory, if present.
fn shared(sub: &str) -> Option<PathBuf> {
    let env = match sub {
        "models" => std::env::var_os("FAKESCOPE_MODELS").map(PathBuf::from),
        _ => None,
    };
    let root = std::env::var_os("FAKESCOPE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let dir = env.unwrap_or_else(|| root.join(sub));
    dir.is_dir().then_some(dir)
}

/// Loads `sub/file` from the shared folder, or says why the test is skipped.
fn load(sub: &str, file: &str) -> Option<StateDict> {
    let Some(dir) = shared(sub) else {
        eprintln!("skipped: shared {sub}/ folder not found (set FAKESCOPE_SHARED)");
        return None;
    };
    let path = dir.join(file);
    if !path.is_file() {
        eprintln!("skipped: {} not found", path.display());
        return None;
    }
    Some(StateDict::load(&path).unwrap_or_else(|e| panic!("{e}")))
}

/// BatchNorm statistics must be sane: positive variances, finite means.
fn check_batchnorms(sd: &StateDict) -> usize {
    let mut count = 0;
    for (key, t) in &sd.tensors {
        if key.ends_with("running_var") {
            assert!(t.data.iter().all(|&v| v > 0.0 && v.is_finite()), "{key}");
            count += 1;
        }
        if key.ends_with("num_batches_tracked") {
            assert_eq!(t.dtype, DType::Int, "{key}");
            assert!(
                t.shape.is_empty() && t.data.len() == 1 && t.data[0] >= 0.0,
                "{key}"
            );
        }
        assert_eq!(t.data.len(), t.shape.iter().product::<usize>(), "{key}");
        assert!(t.data.iter().all(|v| v.is_finite()), "{key}");
    }
    count
}

#[test]
fn aasist_zip_checkpoint() {
    let Some(sd) = load("models", "aasist/AASIST.pth") else {
        return;
    };
    assert_eq!(sd.len(), 229);
    assert_eq!(
        sd.get_shaped("pos_S", &[1, 23, 64]).unwrap().dtype,
        DType::F32
    );
    sd.get_shaped("encoder.0.0.conv1.weight", &[32, 1, 2, 3])
        .unwrap();
    sd.get_shaped("encoder.2.0.conv_downsample.weight", &[64, 32, 1, 3])
        .unwrap();
    sd.get_shaped("GAT_layer_S.att_proj.weight", &[64, 64])
        .unwrap();
    sd.get_shaped("out_layer.weight", &[2, 160]).unwrap();
    assert_eq!(check_batchnorms(&sd), 1 + 11 + 6);
    // Values read independently with Python's zipfile + struct from the same file.
    let pos = &sd.get("pos_S").unwrap().data;
    assert_eq!((pos[0], pos[1471]), (-0.883_386_4, -0.100_229_59));
    let conv = &sd.get("encoder.0.0.conv1.weight").unwrap().data;
    assert_eq!((conv[0], conv[191]), (-0.153_118_9, -0.369_614_03));
    assert_eq!(
        sd.get("out_layer.bias").unwrap().data,
        vec![-0.030_945_223, -0.039_556_23]
    );
    // AASIST's first layer is a sinc filter bank computed in code: it has no weights.
    assert!(sd.tensors.keys().all(|k| !k.starts_with("conv_time")));
}

#[test]
fn aasist_light_zip_checkpoint() {
    let Some(sd) = load("models", "aasist/AASIST-L.pth") else {
        return;
    };
    assert_eq!(sd.len(), 229);
    sd.get_shaped("pos_S", &[1, 23, 24]).unwrap();
    sd.get_shaped("GAT_layer_S.att_proj.weight", &[24, 24])
        .unwrap();
    sd.get_shaped("out_layer.weight", &[2, 160]).unwrap();
    check_batchnorms(&sd);
}

#[test]
fn asvspoof5_zip_checkpoint_with_numbered_storages() {
    let Some(sd) = load("models", "aasist-asvspoof5/best.pth") else {
        return;
    };
    assert_eq!(sd.len(), 229);
    sd.get_shaped("encoder.0.0.conv1.weight", &[32, 1, 2, 3])
        .unwrap();
    sd.get_shaped("out_layer.weight", &[2, 160]).unwrap();
    check_batchnorms(&sd);
}

#[test]
fn mtcnn_legacy_files() {
    let Some(pnet) = load("models", "mtcnn/pnet.pt") else {
        return;
    };
    assert_eq!(pnet.len(), 13);
    let conv1 = pnet.get_shaped("conv1.weight", &[10, 3, 3, 3]).unwrap();
    assert_eq!(conv1.dtype, DType::F32);
    // Stored with strides [1, 10, 30, 90] (column-major): the copy must be row-major.
    // Expected values computed with Python from the raw storage and the strides.
    let at = |[i, j, k, l]: [usize; 4]| conv1.data[((i * 3 + j) * 3 + k) * 3 + l];
    assert_eq!(at([0, 0, 0, 0]), -0.081_647_16);
    assert_eq!(at([0, 0, 0, 1]), 0.835_915_45);
    assert_eq!(at([0, 0, 1, 0]), -0.015_041_245);
    assert_eq!(at([3, 1, 2, 0]), -0.511_488_9);
    assert_eq!(at([9, 2, 2, 2]), 0.508_72);
    pnet.get_shaped("conv4_2.weight", &[4, 32, 1, 1]).unwrap();
    check_batchnorms(&pnet);

    let rnet = load("models", "mtcnn/rnet.pt").unwrap();
    assert_eq!(rnet.len(), 16);
    rnet.get_shaped("dense4.weight", &[128, 576]).unwrap();
    let onet = load("models", "mtcnn/onet.pt").unwrap();
    assert_eq!(onet.len(), 21);
    onet.get_shaped("dense6_3.weight", &[10, 256]).unwrap();
    // A transposed linear weight (strides [1, 256]).
    let dense5 = &onet.get_shaped("dense5.weight", &[256, 1152]).unwrap().data;
    assert_eq!(dense5[0], 0.012_195_014);
    assert_eq!(dense5[1], -0.002_482_436);
    assert_eq!(dense5[1152], -0.009_408_721);
    assert_eq!(dense5[256 * 1152 - 1], 0.011_740_792);
}

#[test]
fn parity_safetensors() {
    let Some(sd) = load("parity", "aasist.safetensors") else {
        return;
    };
    assert_eq!(sd.len(), 3);
    let logits = sd.get_shaped("logits", &[5, 2]).unwrap();
    assert!(logits.data.iter().all(|v| v.is_finite()));
    sd.get_shaped("input_waveform", &[5, 64600]).unwrap();
    let mesonet = load("parity", "mesonet.safetensors").unwrap();
    let input = mesonet.get_shaped("input_nhwc", &[5, 256, 256, 3]).unwrap();
    assert!(input.data.iter().all(|&v| (0.0..=1.0).contains(&v)));
    let mtcnn = load("parity", "mtcnn.safetensors").unwrap();
    assert!(mtcnn.len() > 3);
}

//! The three MTCNN networks with facenet-pytorch's layer names (`conv1`, `prelu1`, …): P-Net
//! (fully convolutional, run over each pyramid level), R-Net (24x24 crops) and O-Net (48x48
//! crops, also regresses the 5 landmarks).

use std::path::Path;

use fakescope_weights::StateDict;

use crate::error::Error;
use crate::layers::{ConvPrelu, Dense, Map, flatten_xyc, max_pool, softmax2_1};

fn load(path: &Path) -> Result<StateDict, Error> {
    if !path.exists() {
        return Err(Error::MissingWeights {
            path: path.to_owned(),
        });
    }
    Ok(StateDict::load(path)?)
}

/// P-Net's output over one pyramid level: a face probability and a box regression (4 values)
/// per cell of a `h` x `w` grid (stride 2, 12 px cells at that level).
#[derive(Debug)]
pub(crate) struct PnetOutput {
    pub h: usize,
    pub w: usize,
    /// `[y][x]`.
    pub prob: Vec<f32>,
    /// `[y][x][4]`.
    pub reg: Vec<f32>,
}

/// Stage 1, proposal network.
#[derive(Debug, Clone)]
pub(crate) struct Pnet {
    conv1: ConvPrelu,
    conv2: ConvPrelu,
    conv3: ConvPrelu,
    conv4_1: ConvPrelu,
    conv4_2: ConvPrelu,
}

impl Pnet {
    pub fn load(path: &Path) -> Result<Pnet, Error> {
        let d = load(path)?;
        Ok(Pnet {
            conv1: ConvPrelu::load(&d, "conv1", Some("prelu1"), 3, 10, 3)?,
            conv2: ConvPrelu::load(&d, "conv2", Some("prelu2"), 10, 16, 3)?,
            conv3: ConvPrelu::load(&d, "conv3", Some("prelu3"), 16, 32, 3)?,
            conv4_1: ConvPrelu::load(&d, "conv4_1", None, 32, 2, 1)?,
            conv4_2: ConvPrelu::load(&d, "conv4_2", None, 32, 4, 1)?,
        })
    }

    /// # Shapes
    /// `[h][w][3]` normalised → grid `[(h - 2) / 2 - 4][…]` (ceil pooling).
    pub fn forward(&self, x: &Map, parallel: bool) -> PnetOutput {
        let x = self.conv1.forward(x, parallel);
        let x = max_pool(&x, 2, 2, parallel);
        let x = self.conv2.forward(&x, parallel);
        let x = self.conv3.forward(&x, parallel);
        let logits = self.conv4_1.forward(&x, parallel);
        let reg = self.conv4_2.forward(&x, parallel);
        debug_assert_eq!(self.conv4_1.out_channels(), 2);
        let prob = logits
            .data
            .chunks_exact(2)
            .map(|l| softmax2_1(l[0], l[1]))
            .collect();
        PnetOutput {
            h: x.h,
            w: x.w,
            prob,
            reg: reg.data,
        }
    }
}

/// Stage 2, refinement network: `(face probability, box regression)` of a 24x24 crop.
#[derive(Debug, Clone)]
pub(crate) struct Rnet {
    conv1: ConvPrelu,
    conv2: ConvPrelu,
    conv3: ConvPrelu,
    dense4: Dense,
    dense5_1: Dense,
    dense5_2: Dense,
}

impl Rnet {
    pub fn load(path: &Path) -> Result<Rnet, Error> {
        let d = load(path)?;
        Ok(Rnet {
            conv1: ConvPrelu::load(&d, "conv1", Some("prelu1"), 3, 28, 3)?,
            conv2: ConvPrelu::load(&d, "conv2", Some("prelu2"), 28, 48, 3)?,
            conv3: ConvPrelu::load(&d, "conv3", Some("prelu3"), 48, 64, 2)?,
            dense4: Dense::load(&d, "dense4", Some("prelu4"), 576, 128)?,
            dense5_1: Dense::load(&d, "dense5_1", None, 128, 2)?,
            dense5_2: Dense::load(&d, "dense5_2", None, 128, 4)?,
        })
    }

    /// # Shapes
    /// `[24][24][3]` → 24 → conv 22 → pool 11 → conv 9 → pool 4 → conv 3 → 576 → 128.
    pub fn forward(&self, x: &Map) -> (f32, [f32; 4]) {
        let x = self.conv1.forward(x, false);
        let x = max_pool(&x, 3, 2, false);
        let x = self.conv2.forward(&x, false);
        let x = max_pool(&x, 3, 2, false);
        let x = self.conv3.forward(&x, false);
        let x = self.dense4.forward(&flatten_xyc(&x));
        let logits = self.dense5_1.forward(&x);
        let reg = self.dense5_2.forward(&x);
        (
            softmax2_1(logits[0], logits[1]),
            [reg[0], reg[1], reg[2], reg[3]],
        )
    }
}

/// What O-Net says about a 48x48 crop.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OnetOutput {
    pub prob: f32,
    pub reg: [f32; 4],
    /// 5 x then 5 y, as fractions of the crop box.
    pub points: [f32; 10],
}

/// Stage 3, output network.
#[derive(Debug, Clone)]
pub(crate) struct Onet {
    conv1: ConvPrelu,
    conv2: ConvPrelu,
    conv3: ConvPrelu,
    conv4: ConvPrelu,
    dense5: Dense,
    dense6_1: Dense,
    dense6_2: Dense,
    dense6_3: Dense,
}

impl Onet {
    pub fn load(path: &Path) -> Result<Onet, Error> {
        let d = load(path)?;
        Ok(Onet {
            conv1: ConvPrelu::load(&d, "conv1", Some("prelu1"), 3, 32, 3)?,
            conv2: ConvPrelu::load(&d, "conv2", Some("prelu2"), 32, 64, 3)?,
            conv3: ConvPrelu::load(&d, "conv3", Some("prelu3"), 64, 64, 3)?,
            conv4: ConvPrelu::load(&d, "conv4", Some("prelu4"), 64, 128, 2)?,
            dense5: Dense::load(&d, "dense5", Some("prelu5"), 1152, 256)?,
            dense6_1: Dense::load(&d, "dense6_1", None, 256, 2)?,
            dense6_2: Dense::load(&d, "dense6_2", None, 256, 4)?,
            dense6_3: Dense::load(&d, "dense6_3", None, 256, 10)?,
        })
    }

    /// # Shapes
    /// `[48][48][3]` → 46 → 23 → 21 → 10 → 8 → 4 → 3 → 1152 → 256.
    pub fn forward(&self, x: &Map) -> OnetOutput {
        let x = self.conv1.forward(x, false);
        let x = max_pool(&x, 3, 2, false);
        let x = self.conv2.forward(&x, false);
        let x = max_pool(&x, 3, 2, false);
        let x = self.conv3.forward(&x, false);
        let x = max_pool(&x, 2, 2, false);
        let x = self.conv4.forward(&x, false);
        let x = self.dense5.forward(&flatten_xyc(&x));
        let logits = self.dense6_1.forward(&x);
        let reg = self.dense6_2.forward(&x);
        let pts = self.dense6_3.forward(&x);
        let mut points = [0.0; 10];
        points.copy_from_slice(&pts);
        OnetOutput {
            prob: softmax2_1(logits[0], logits[1]),
            reg: [reg[0], reg[1], reg[2], reg[3]],
            points,
        }
    }
}

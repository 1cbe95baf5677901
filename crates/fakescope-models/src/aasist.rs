//! AASIST: audio anti-spoofing with integrated spectro-temporal graph attention networks.
//!
//! Jung et al., "AASIST: Audio Anti-Spoofing using Integrated Spectro-Temporal Graph Attention
//! Networks", ICASSP 2022 (<https://arxiv.org/abs/2110.01200>). Port of `models/AASIST.py` of
//! clovaai/aasist (the ASVspoof 5 baseline uses the same file unchanged), inference path only
//! (no frequency masking augmentation, dropout is the identity).
//!
//! The model, on a 16 kHz waveform of 64,600 samples:
//! 1. a fixed bank of 70 mel-spaced sinc band-pass filters (computed from the config, not
//!    stored), |·|, 3×3 max pooling, batch norm, SELU → a `23 × 21,490` spectro-temporal map;
//! 2. six residual blocks, each pooling time by 3 → `[64 channels, 23 freq, 29 time]`;
//! 3. spectral nodes (max |·| over time, plus a learnt positional embedding) and temporal nodes
//!    (max |·| over frequency), each through graph attention and top-k graph pooling;
//! 4. two parallel branches of heterogeneous graph attention (HS-GAL) with a learnt master
//!    node, each followed by pooling and a second HS-GAL whose output is added;
//! 5. element-wise max of the two branches, then max |·| and mean over nodes of each node type
//!    and the master node → `last_hidden` (5 × 32 = 160) → a linear layer → 2 logits.
//!
//! Output columns: 0 = spoof, 1 = bona fide.
//!
//! Internally the encoder runs channels-last (`[batch, freq, time, channels]`); see
//! [`Conv2dNhwc`](fakescope_nn::layers::Conv2dNhwc) for why.

mod config;
mod encoder;
mod inference;

use std::path::Path;

use burn::module::{Module, Param};
use burn::nn::{BatchNorm, Linear};
use burn::tensor::activation::selu;
use burn::tensor::{Device, Tensor, TensorData};
use fakescope_nn::Params;
use fakescope_nn::graph::{GraphAttention, GraphPool, HeteroGraphAttention};
use fakescope_nn::layers::{
    SincFilterbank, batch_norm_channels_last, load_batch_norm, load_linear,
};
use fakescope_weights::StateDict;

pub use config::{Config, Filts};
pub use encoder::ResidualBlock;
pub use inference::InferenceEncoder;

use crate::{AudioDetector, DetectorInfo, Error, InputSpec, Modality, ScoreConvention};

/// Sample rate AASIST was trained at.
pub const SAMPLE_RATE: u32 = 16_000;

/// Number of spectral nodes: the 70 sinc bands pooled by 3 (upstream's `pos_S` is `[1, 23, C]`).
const SPECTRAL_NODES: usize = 23;

/// The AASIST network (upstream `Model`), as a burn module.
#[derive(Module, Debug)]
pub struct AasistModel {
    /// `conv_time`: the fixed sinc filterbank.
    pub conv_time: SincFilterbank,
    /// `first_bn`: batch norm over the single channel of the pooled filterbank output.
    pub first_bn: BatchNorm,
    /// `encoder.{0..5}.0`.
    pub encoder: Vec<ResidualBlock>,
    /// `pos_S`: `[1, 23, C]` positional embedding of the spectral nodes.
    pub pos_s: Param<Tensor<3>>,
    /// `master1`, `master2`: `[1, 1, gat_dims[0]]`.
    pub masters: [Param<Tensor<3>>; 2],
    /// `GAT_layer_S`.
    pub gat_s: GraphAttention,
    /// `GAT_layer_T`.
    pub gat_t: GraphAttention,
    /// `HtrgGAT_layer_ST11`, `ST12` (branch 1) and `ST21`, `ST22` (branch 2).
    pub htrg: [[HeteroGraphAttention; 2]; 2],
    /// `pool_S`.
    pub pool_s: GraphPool,
    /// `pool_T`.
    pub pool_t: GraphPool,
    /// `pool_hS1`, `pool_hS2`.
    pub pool_hs: [GraphPool; 2],
    /// `pool_hT1`, `pool_hT2`.
    pub pool_ht: [GraphPool; 2],
    /// `out_layer`: `5 × gat_dims[1] → 2`.
    pub out_layer: Linear,
}

/// What [`AasistModel::forward`] returns (upstream returns the same pair).
#[derive(Debug, Clone)]
pub struct AasistOutput {
    /// `[batch, 5 × gat_dims[1]]`: the embedding before the output layer.
    pub last_hidden: Tensor<2>,
    /// `[batch, 2]`: column 0 spoof, column 1 bona fide.
    pub logits: Tensor<2>,
}

impl AasistModel {
    /// Builds the network for `config`, reading every weight from `p` (upstream key names).
    pub fn load(config: &Config, p: &Params) -> Result<Self, fakescope_nn::Error> {
        let channels = config.blocks()[5][1];
        let [gat0, gat1] = config.gat_dims;
        let [r_s, r_t, r_h, _] = config.pool_ratios;
        let [t_s, t_t, t_h, _] = config.temperatures;
        let encoder = config
            .blocks()
            .iter()
            .enumerate()
            .map(|(i, &filts)| ResidualBlock::load(&p.pp("encoder").pp(i).pp(0), filts, i == 0))
            .collect::<Result<Vec<_>, _>>()?;
        let htrg = |name: &str, d_in| HeteroGraphAttention::load(&p.pp(name), d_in, gat1, t_h);
        let pool = |name: &str, ratio, d_in| GraphPool::load(&p.pp(name), ratio, d_in);
        Ok(AasistModel {
            conv_time: SincFilterbank::new(
                config.filts.0,
                config.first_conv,
                SAMPLE_RATE,
                p.device(),
            ),
            first_bn: load_batch_norm(&p.pp("first_bn"), 1)?,
            encoder,
            pos_s: p.param("pos_S", [1, SPECTRAL_NODES, channels])?,
            masters: [
                p.param("master1", [1, 1, gat0])?,
                p.param("master2", [1, 1, gat0])?,
            ],
            gat_s: GraphAttention::load(&p.pp("GAT_layer_S"), channels, gat0, t_s)?,
            gat_t: GraphAttention::load(&p.pp("GAT_layer_T"), channels, gat0, t_t)?,
            htrg: [
                [
                    htrg("HtrgGAT_layer_ST11", gat0)?,
                    htrg("HtrgGAT_layer_ST12", gat1)?,
                ],
                [
                    htrg("HtrgGAT_layer_ST21", gat0)?,
                    htrg("HtrgGAT_layer_ST22", gat1)?,
                ],
            ],
            pool_s: pool("pool_S", r_s, gat0)?,
            pool_t: pool("pool_T", r_t, gat0)?,
            pool_hs: [pool("pool_hS1", r_h, gat1)?, pool("pool_hS2", r_h, gat1)?],
            pool_ht: [pool("pool_hT1", r_h, gat1)?, pool("pool_hT2", r_h, gat1)?],
            out_layer: load_linear(&p.pp("out_layer"), 5 * gat1, 2, true)?,
        })
    }

    /// The spectro-temporal feature map the encoder starts from.
    ///
    /// # Shapes
    /// - `x`: `[batch, samples]`
    /// - output: `[batch, bands / 3, (samples - kernel + 1) / 3, 1]`
    pub fn front_end(&self, x: Tensor<2>) -> Tensor<4> {
        let y = self.conv_time.forward(x).abs(); // [b, time, bands]
        let [batch, time, bands] = y.dims();
        let (t3, f3) = (time / 3, bands / 3);
        let pooled = y
            .slice([0..batch, 0..t3 * 3, 0..f3 * 3])
            .reshape([batch, t3, 3, f3, 3])
            .max_dim(4)
            .max_dim(2)
            .reshape([batch, t3, f3])
            .swap_dims(1, 2)
            .reshape([batch, f3, t3, 1]);
        selu(batch_norm_channels_last(&self.first_bn, pooled))
    }

    /// The full network on burn ops (the reference; [`Aasist`] runs the same network with an
    /// [`InferenceEncoder`]).
    ///
    /// # Shapes
    /// - `x`: `[batch, samples]` (16 kHz, 64,600 samples for the published models)
    pub fn forward(&self, x: Tensor<2>) -> AasistOutput {
        self.head(self.encode(x))
    }

    /// Front end and residual encoder on burn ops.
    ///
    /// # Shapes
    /// - `x`: `[batch, samples]`
    /// - output: `[batch, freq, time, channels]` (`[batch, 23, 29, 64]` for AASIST)
    pub fn encode(&self, x: Tensor<2>) -> Tensor<4> {
        let mut e = self.front_end(x);
        for block in &self.encoder {
            e = block.forward(e);
        }
        e
    }

    /// Graph attention part and output layer, on the encoder's output.
    ///
    /// # Shapes
    /// - `e`: `[batch, freq, time, channels]`
    pub fn head(&self, e: Tensor<4>) -> AasistOutput {
        let [batch, freq, time, channels] = e.dims();
        let e = e.abs();
        // Spectral nodes: max over time; temporal nodes: max over frequency.
        let e_s = e.clone().max_dim(2).reshape([batch, freq, channels]) + self.pos_s.val();
        let e_t = e.max_dim(1).reshape([batch, time, channels]);
        let out_s = self.pool_s.forward(self.gat_s.forward(e_s));
        let out_t = self.pool_t.forward(self.gat_t.forward(e_t));

        let branch = |i: usize| {
            let [first, second] = &self.htrg[i];
            let h = first.forward(out_t.clone(), out_s.clone(), self.masters[i].val());
            let t = self.pool_ht[i].forward(h.x1);
            let s = self.pool_hs[i].forward(h.x2);
            let aug = second.forward(t.clone(), s.clone(), h.master.clone());
            (t + aug.x1, s + aug.x2, h.master + aug.master)
        };
        let (t1, s1, m1) = branch(0);
        let (t2, s2, m2) = branch(1);
        let out_t = t1.max_pair(t2);
        let out_s = s1.max_pair(s2);
        let master = m1.max_pair(m2);

        let dim = out_t.dims()[2];
        let max_abs = |x: Tensor<3>| x.abs().max_dim(1).reshape([batch, dim]);
        let mean = |x: Tensor<3>| x.mean_dim(1).reshape([batch, dim]);
        let last_hidden = Tensor::cat(
            vec![
                max_abs(out_t.clone()),
                mean(out_t),
                max_abs(out_s.clone()),
                mean(out_s),
                master.reshape([batch, dim]),
            ],
            1,
        );
        let logits = self.out_layer.forward(last_hidden.clone());
        AasistOutput {
            last_hidden,
            logits,
        }
    }
}

/// An AASIST detector: the network, its config and its [`DetectorInfo`].
#[derive(Debug)]
pub struct Aasist {
    model: AasistModel,
    encoder: InferenceEncoder,
    config: Config,
    info: DetectorInfo,
    device: Device,
}

impl Aasist {
    /// Loads AASIST with `config` from the PyTorch checkpoint at `weights` (strict: every
    /// tensor of the file must be used), on `device`. `name` is the registry name reported in
    /// [`DetectorInfo`].
    pub fn load(
        name: &'static str,
        config: Config,
        weights: &Path,
        device: &Device,
    ) -> Result<Aasist, Error> {
        let dict = StateDict::load(weights)?;
        Aasist::from_state_dict(name, config, dict, device)
    }

    /// As [`Aasist::load`], from an already read state dict.
    pub fn from_state_dict(
        name: &'static str,
        config: Config,
        dict: StateDict,
        device: &Device,
    ) -> Result<Aasist, Error> {
        let p = Params::new(dict, device);
        let model = AasistModel::load(&config, &p)?;
        p.finish()?;
        let encoder = InferenceEncoder::new(&model)?;
        let info = DetectorInfo {
            name,
            modality: Modality::Audio,
            input: InputSpec::AudioWindow {
                sample_rate: SAMPLE_RATE,
                samples: config.nb_samp,
            },
            convention: ScoreConvention::SoftmaxTwoClass { fake_column: 0 },
        };
        Ok(Aasist {
            model,
            encoder,
            config,
            info,
            device: device.clone(),
        })
    }

    /// The network.
    pub fn model(&self) -> &AasistModel {
        &self.model
    }

    /// The hyper-parameters.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Runs the network on windows of `nb_samp` samples each: the encoder with folded weights
    /// and fused CPU kernels ([`InferenceEncoder`]), then [`AasistModel::head`].
    pub fn forward(&self, windows: &[&[f32]]) -> Result<AasistOutput, Error> {
        let samples = self.config.nb_samp;
        let mut flat = Vec::with_capacity(windows.len() * samples);
        for (i, window) in windows.iter().enumerate() {
            if window.len() != samples {
                return Err(Error::Input {
                    detector: self.info.name,
                    message: format!(
                        "window {i} has {} samples, expected {samples}",
                        window.len()
                    ),
                });
            }
            flat.extend_from_slice(window);
        }
        let x = Tensor::from_data(
            TensorData::new(flat, [windows.len(), samples]),
            &self.device,
        );
        let e = self.encoder.forward(&self.model, x)?;
        Ok(self.model.head(e))
    }
}

impl AudioDetector for Aasist {
    fn info(&self) -> &DetectorInfo {
        &self.info
    }

    fn raw_outputs(&self, windows: &[&[f32]]) -> Result<Vec<Vec<f32>>, Error> {
        if windows.is_empty() {
            return Ok(Vec::new());
        }
        let logits = self.forward(windows)?.logits.into_data();
        let values = logits.try_to_vec::<f32>().map_err(|e| Error::Backend {
            detector: self.info.name,
            message: format!("reading the logits back: {e:?}"),
        })?;
        Ok(values.chunks_exact(2).map(<[f32]>::to_vec).collect())
    }
}

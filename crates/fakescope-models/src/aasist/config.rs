//! AASIST hyper-parameters, with upstream's field names and the three published presets.

use serde::Deserialize;

/// The filter counts of upstream's `filts`: `[sinc_channels, [c_in, c_out] × 4]`.
///
/// Deserializes from upstream's JSON array `[70, [1, 32], [32, 32], [32, 64], [64, 64]]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Filts(
    /// Number of sinc band-pass filters.
    pub usize,
    /// Channels of residual block 1.
    pub [usize; 2],
    /// Channels of residual block 2.
    pub [usize; 2],
    /// Channels of residual block 3.
    pub [usize; 2],
    /// Channels of residual blocks 4, 5 and 6.
    pub [usize; 2],
);

/// The `model_config` of an upstream AASIST `.conf` file (the fields the model reads).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Config {
    /// Samples per input window (64,600 = 4.04 s at 16 kHz).
    pub nb_samp: usize,
    /// Sinc filter length (made odd: 128 → 129).
    pub first_conv: usize,
    /// Filter counts of the front end and the six residual blocks.
    pub filts: Filts,
    /// Node feature sizes: graph attention, heterogeneous graph attention.
    pub gat_dims: [usize; 2],
    /// Fraction of nodes kept by `pool_S`, `pool_T`, and (upstream uses index 2 for all four)
    /// `pool_hS1`, `pool_hT1`, `pool_hS2`, `pool_hT2`; index 3 is unused upstream.
    pub pool_ratios: [f64; 4],
    /// Softmax temperatures of `GAT_layer_S`, `GAT_layer_T` and of the four HS-GAL layers
    /// (index 2); index 3 is unused upstream.
    pub temperatures: [f32; 4],
}

impl Config {
    /// `AASIST.conf` of clovaai/aasist (ASVspoof 2019 LA).
    pub fn aasist() -> Config {
        Config {
            nb_samp: 64_600,
            first_conv: 128,
            filts: Filts(70, [1, 32], [32, 32], [32, 64], [64, 64]),
            gat_dims: [64, 32],
            pool_ratios: [0.5, 0.7, 0.5, 0.5],
            temperatures: [2.0, 2.0, 100.0, 100.0],
        }
    }

    /// `AASIST-L.conf` of clovaai/aasist (the light model, 85k parameters).
    pub fn aasist_l() -> Config {
        Config {
            nb_samp: 64_600,
            first_conv: 128,
            filts: Filts(70, [1, 32], [32, 32], [32, 24], [24, 24]),
            gat_dims: [24, 32],
            pool_ratios: [0.4, 0.5, 0.7, 0.5],
            temperatures: [2.0, 2.0, 100.0, 100.0],
        }
    }

    /// `AASIST_ASVspoof5.conf` of the ASVspoof 5 baseline (same model code and sizes as
    /// [`Config::aasist`]).
    pub fn aasist_asvspoof5() -> Config {
        Config::aasist()
    }

    /// The channel pairs of the six residual blocks (the last `filts` entry three times).
    pub fn blocks(&self) -> [[usize; 2]; 6] {
        let Filts(_, b1, b2, b3, b4) = self.filts;
        [b1, b2, b3, b4, b4, b4]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_upstream_model_config() {
        let json = r#"{"architecture": "AASIST", "nb_samp": 64600, "first_conv": 128,
            "filts": [70, [1, 32], [32, 32], [32, 24], [24, 24]], "gat_dims": [24, 32],
            "pool_ratios": [0.4, 0.5, 0.7, 0.5], "temperatures": [2.0, 2.0, 100.0, 100.0]}"#;
        let config: Config = serde_json::from_str(json).unwrap();
        assert_eq!(config, Config::aasist_l());
    }
}

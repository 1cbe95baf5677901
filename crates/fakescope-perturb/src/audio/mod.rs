//! Seeded audio transforms: the channel augmentations of speech anti-spoofing training, and
//! the same primitives at fixed strengths as robustness perturbations.
//!
//! - [`rawboost`]: RawBoost's convolutive, impulsive and coloured additive noise (Tak et al.,
//!   ICASSP 2022).
//! - [`channel`]: gain with clipping, noise at an SNR, band-limiting, the 8 kHz round trip,
//!   a simulated room.
//! - [`codec`]: MP3, AAC and Opus round trips through the system ffmpeg.
//! - [`fir`]: the windowed-sinc filters and convolutions they share.
//! - [`AudioAugment`]: the chain used in training, each stage with a probability and ranges.
//!
//! Every function takes and returns mono `f32` samples in about `[-1, 1]` and keeps the length.
//!
//! ```
//! use fakescope_perturb::audio::{AudioAugment, channel};
//! use fakescope_perturb::sample_rng;
//!
//! let speech: Vec<f32> = (0..16_000).map(|i| 0.3 * (i as f32 * 0.05).sin()).collect();
//! let phone = channel::half_rate_roundtrip(&speech, 16_000.0);
//! assert_eq!(phone.len(), speech.len());
//!
//! let mut augment = AudioAugment::none();
//! augment.noise.p = 1.0;
//! let a = augment.apply(&speech, 16_000, &mut sample_rng(1, &[0, 5]))?;
//! let b = augment.apply(&speech, 16_000, &mut sample_rng(1, &[0, 5]))?;
//! assert_eq!(a, b);
//! # Ok::<(), fakescope_perturb::Error>(())
//! ```

pub mod channel;
pub mod codec;
pub mod fir;
pub mod rawboost;

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::augment::{check_nonnegative, check_p, check_range};
use crate::rng::coin;
use channel::draw;
pub use codec::{Codec, codec_roundtrip};
pub use rawboost::RawBoostConfig;

/// The speech training augmentation. [`AudioAugment::apply`] runs the stages in this order,
/// each with its probability `p` (a room, then noise in it, then the device, the line, the
/// codec, and the level of the file):
/// 1. [`reverb`](AudioAugment::reverb), 2. [`noise`](AudioAugment::noise),
/// 3. [`rawboost`](AudioAugment::rawboost), 4. [`band_limit`](AudioAugment::band_limit),
/// 5. [`narrowband`](AudioAugment::narrowband), 6. [`codec`](AudioAugment::codec),
/// 7. [`gain`](AudioAugment::gain).
///
/// Every field has a default; unknown fields are errors. In TOML:
///
/// ```toml
/// [augment.codec]
/// p = 0.3
/// codecs = ["mp3", "opus"]
/// kbps = [16, 64]
/// ```
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AudioAugment {
    /// A simulated room; default p 0.2, RT60 0.1 to 0.6 s.
    pub reverb: Reverb,
    /// White noise at an SNR; default p 0.3, 5 to 40 dB.
    pub noise: NoiseAtSnr,
    /// RawBoost; default p 0.5, each of its three algorithms with p 0.5 and the paper's ranges.
    pub rawboost: RawBoost,
    /// A band-pass line; default p 0.2, low edge 50 to 300 Hz, high edge 3.4 to 7.5 kHz.
    pub band_limit: BandLimit,
    /// The 8 kHz round trip ([`channel::half_rate_roundtrip`]); default p 0.1.
    pub narrowband: Narrowband,
    /// A lossy codec through ffmpeg; default p 0.3, MP3/AAC/Opus, 16 to 64 kb/s.
    pub codec: CodecStage,
    /// Gain with clipping; default p 0.5, -12 to +6 dB.
    pub gain: Gain,
}

/// A simulated room ([`channel::reverb`]).
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Reverb {
    /// Probability.
    pub p: f32,
    /// Reverberation time range, seconds.
    pub rt60_s: [f32; 2],
}
impl Default for Reverb {
    fn default() -> Reverb {
        Reverb {
            p: 0.2,
            rt60_s: [0.1, 0.6],
        }
    }
}

/// White noise at a random SNR ([`channel::white_noise`]).
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct NoiseAtSnr {
    /// Probability.
    pub p: f32,
    /// SNR range, dB.
    pub snr_db: [f32; 2],
}
impl Default for NoiseAtSnr {
    fn default() -> NoiseAtSnr {
        NoiseAtSnr {
            p: 0.3,
            snr_db: [5.0, 40.0],
        }
    }
}

/// RawBoost ([`rawboost`]): when it applies, each algorithm runs with its own probability, in
/// the order convolutive, impulsive, coloured.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RawBoost {
    /// Probability of the stage.
    pub p: f32,
    /// Probability of the linear and non-linear convolutive noise.
    pub lnl_p: f32,
    /// Probability of the impulsive signal-dependent noise.
    pub isd_p: f32,
    /// Probability of the stationary coloured noise.
    pub ssi_p: f32,
    /// The ranges (the paper's by default).
    pub settings: RawBoostConfig,
}
impl Default for RawBoost {
    fn default() -> RawBoost {
        RawBoost {
            p: 0.5,
            lnl_p: 0.5,
            isd_p: 0.5,
            ssi_p: 0.5,
            settings: RawBoostConfig::default(),
        }
    }
}

/// A band-pass line ([`channel::band_limit`]).
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BandLimit {
    /// Probability.
    pub p: f32,
    /// Range of the low edge, Hz.
    pub low_hz: [f32; 2],
    /// Range of the high edge, Hz.
    pub high_hz: [f32; 2],
}
impl Default for BandLimit {
    fn default() -> BandLimit {
        BandLimit {
            p: 0.2,
            low_hz: [50.0, 300.0],
            high_hz: [3_400.0, 7_500.0],
        }
    }
}

/// The 8 kHz round trip.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Narrowband {
    /// Probability.
    pub p: f32,
}
impl Default for Narrowband {
    fn default() -> Narrowband {
        Narrowband { p: 0.1 }
    }
}

/// A lossy codec ([`codec_roundtrip`]): the codec uniformly among `codecs`, the bit rate a
/// uniform integer in `kbps`.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CodecStage {
    /// Probability.
    pub p: f32,
    /// The codecs to choose from.
    pub codecs: Vec<Codec>,
    /// Bit rate range, kb/s.
    pub kbps: [u32; 2],
}
impl Default for CodecStage {
    fn default() -> CodecStage {
        CodecStage {
            p: 0.3,
            codecs: vec![Codec::Mp3, Codec::Aac, Codec::Opus],
            kbps: [16, 64],
        }
    }
}

/// Gain with clipping ([`channel::gain`]).
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Gain {
    /// Probability.
    pub p: f32,
    /// Gain range, dB.
    pub db: [f32; 2],
}
impl Default for Gain {
    fn default() -> Gain {
        Gain {
            p: 0.5,
            db: [-12.0, 6.0],
        }
    }
}

impl AudioAugment {
    /// No augmentation: every probability 0.
    pub fn none() -> AudioAugment {
        let mut a = AudioAugment::default();
        a.reverb.p = 0.0;
        a.noise.p = 0.0;
        a.rawboost.p = 0.0;
        a.band_limit.p = 0.0;
        a.narrowband.p = 0.0;
        a.codec.p = 0.0;
        a.gain.p = 0.0;
        a
    }

    /// Whether any stage can apply.
    pub fn is_none(&self) -> bool {
        *self == AudioAugment::none()
    }

    /// Names the first impossible setting (`augment.codec.kbps: min 64 > max 16`).
    pub fn validate(&self) -> Result<(), Error> {
        check_p("augment.reverb.p", self.reverb.p)?;
        check_nonnegative("augment.reverb.rt60_s", self.reverb.rt60_s)?;
        if self.reverb.rt60_s[1] > 5.0 {
            return Err(Error::invalid(
                "augment.reverb.rt60_s",
                format!("{} s is longer than 5 s", self.reverb.rt60_s[1]),
            ));
        }
        check_p("augment.noise.p", self.noise.p)?;
        check_range("augment.noise.snr_db", self.noise.snr_db)?;
        let r = &self.rawboost;
        for (field, p) in [
            ("augment.rawboost.p", r.p),
            ("augment.rawboost.lnl_p", r.lnl_p),
            ("augment.rawboost.isd_p", r.isd_p),
            ("augment.rawboost.ssi_p", r.ssi_p),
        ] {
            check_p(field, p)?;
        }
        let s = &r.settings;
        check_nonnegative("augment.rawboost.settings.centre_hz", s.centre_hz)?;
        check_nonnegative("augment.rawboost.settings.width_hz", s.width_hz)?;
        check_range("augment.rawboost.settings.gain_db", s.gain_db)?;
        check_nonnegative(
            "augment.rawboost.settings.nonlinear_attenuation_db",
            s.nonlinear_attenuation_db,
        )?;
        check_range("augment.rawboost.settings.snr_db", s.snr_db)?;
        if s.taps[0] > s.taps[1] || s.taps[0] == 0 || s.taps[1] > 1_000 {
            return Err(Error::invalid(
                "augment.rawboost.settings.taps",
                format!(
                    "[{}, {}] is not an ordered range in 1..=1000",
                    s.taps[0], s.taps[1]
                ),
            ));
        }
        if s.bands > 20 || s.powers == 0 || s.powers > 10 || s.impulse_percent > 100 {
            return Err(Error::invalid(
                "augment.rawboost.settings",
                "bands must be at most 20, powers 1 to 10, impulse_percent at most 100",
            ));
        }
        check_p("augment.band_limit.p", self.band_limit.p)?;
        check_nonnegative("augment.band_limit.low_hz", self.band_limit.low_hz)?;
        check_nonnegative("augment.band_limit.high_hz", self.band_limit.high_hz)?;
        if self.band_limit.low_hz[1] >= self.band_limit.high_hz[0] {
            return Err(Error::invalid(
                "augment.band_limit",
                "the low edge's range must end below the high edge's",
            ));
        }
        check_p("augment.narrowband.p", self.narrowband.p)?;
        check_p("augment.codec.p", self.codec.p)?;
        let [kmin, kmax] = self.codec.kbps;
        if kmin > kmax || kmin < 6 || kmax > 320 {
            return Err(Error::invalid(
                "augment.codec.kbps",
                format!("[{kmin}, {kmax}] is not an ordered range in 6..=320"),
            ));
        }
        if self.codec.p > 0.0 && self.codec.codecs.is_empty() {
            return Err(Error::invalid("augment.codec.codecs", "is empty"));
        }
        check_p("augment.gain.p", self.gain.p)?;
        check_range("augment.gain.db", self.gain.db)?;
        Ok(())
    }

    /// Applies the chain to a copy of `x` (mono, `sample_rate` Hz).
    ///
    /// Draws one coin per stage whatever its probability, then that stage's parameters when it
    /// applies, so the same `rng` state gives the same samples.
    ///
    /// # Errors
    /// [`AudioAugment::validate`]'s, before anything is drawn; a failing codec round trip.
    pub fn apply(
        &self,
        x: &[f32],
        sample_rate: u32,
        rng: &mut impl Rng,
    ) -> Result<Vec<f32>, Error> {
        self.validate()?;
        let sr = sample_rate as f32;
        let mut y = x.to_vec();
        if coin(rng, self.reverb.p) {
            y = channel::reverb(&y, draw(rng, self.reverb.rt60_s), sr, rng);
        }
        if coin(rng, self.noise.p) {
            y = channel::white_noise(&y, draw(rng, self.noise.snr_db), rng);
        }
        if coin(rng, self.rawboost.p) {
            let r = &self.rawboost;
            let s = &r.settings;
            if coin(rng, r.lnl_p) {
                y = rawboost::lnl_convolutive(&y, s, sr, rng);
            }
            if coin(rng, r.isd_p) {
                y = rawboost::isd_impulsive(&y, s, rng);
            }
            if coin(rng, r.ssi_p) {
                y = rawboost::ssi_coloured(&y, s, sr, rng);
            }
        }
        if coin(rng, self.band_limit.p) {
            let low = draw(rng, self.band_limit.low_hz);
            let high = draw(rng, self.band_limit.high_hz).min(sr / 2.0);
            y = channel::band_limit(&y, low, high, sr);
        }
        if coin(rng, self.narrowband.p) {
            y = channel::half_rate_roundtrip(&y, sr);
        }
        if coin(rng, self.codec.p) && !self.codec.codecs.is_empty() {
            let codec = self.codec.codecs[rng.random_range(0..self.codec.codecs.len())];
            let kbps = rng.random_range(self.codec.kbps[0]..=self.codec.kbps[1]);
            y = codec_roundtrip(&y, sample_rate, codec, kbps)?;
        }
        if coin(rng, self.gain.p) {
            y = channel::gain(&y, draw(rng, self.gain.db));
        }
        Ok(y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample_rng;

    #[test]
    fn none_is_identity_and_default_is_valid() {
        let x: Vec<f32> = (0..4_000).map(|i| (i as f32 * 0.01).sin() * 0.2).collect();
        let y = AudioAugment::none()
            .apply(&x, 16_000, &mut sample_rng(0, &[]))
            .unwrap();
        assert_eq!(x, y);
        AudioAugment::default().validate().unwrap();
    }

    #[test]
    fn validate_names_the_field() {
        let mut a = AudioAugment::default();
        a.codec.kbps = [64, 16];
        assert_eq!(
            a.validate().unwrap_err().to_string(),
            "augment.codec.kbps: [64, 16] is not an ordered range in 6..=320"
        );
        let mut a = AudioAugment::default();
        a.rawboost.isd_p = 1.5;
        assert_eq!(
            a.validate().unwrap_err().to_string(),
            "augment.rawboost.isd_p: 1.5 is outside [0, 1]"
        );
    }

    #[test]
    fn unknown_fields_are_errors() {
        let err = toml_like(r#"{"gain": {"p": 0.5, "dbb": [0, 1]}}"#);
        assert!(err.contains("dbb"), "{err}");
    }

    fn toml_like(json: &str) -> String {
        serde_json::from_str::<AudioAugment>(json)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn every_stage_but_the_codec_is_seeded_and_keeps_length() {
        let x: Vec<f32> = (0..16_000).map(|i| (i as f32 * 0.03).sin() * 0.3).collect();
        let mut a = AudioAugment::default();
        a.codec.p = 0.0;
        a.reverb.p = 1.0;
        a.noise.p = 1.0;
        a.rawboost.p = 1.0;
        a.band_limit.p = 1.0;
        a.narrowband.p = 1.0;
        a.gain.p = 1.0;
        let y1 = a.apply(&x, 16_000, &mut sample_rng(5, &[1])).unwrap();
        let y2 = a.apply(&x, 16_000, &mut sample_rng(5, &[1])).unwrap();
        assert_eq!(y1, y2);
        assert_eq!(y1.len(), x.len());
        assert!(y1.iter().all(|v| v.is_finite() && v.abs() <= 1.0));
    }
}

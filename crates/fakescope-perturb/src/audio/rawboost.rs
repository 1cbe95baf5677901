//! RawBoost (Tak, Kamble, Patino, Todisco, Evans and Nautsch, "RawBoost: a raw data boosting
//! and augmentation method applied to automatic speaker verification anti-spoofing", ICASSP
//! 2022): three kinds of channel and device distortion applied to the raw waveform.
//!
//! - [`lnl_convolutive`]: linear and non-linear convolutive noise — the sum of the signal's
//!   first powers, each through a random multi-band filter (the non-linear terms attenuated), as
//!   a microphone, amplifier or codec colours and distorts.
//! - [`isd_impulsive`]: impulsive signal-dependent noise — a few percent of the samples get a
//!   random share of their own value added (clicks, clipping, quantisation bursts).
//! - [`ssi_coloured`]: stationary signal-independent noise — Gaussian noise through a random
//!   multi-band filter, added at a random SNR.
//!
//! The random multi-band filter is a cascade of band-stop FIR filters (Hamming-windowed sinc) at
//! random centre frequencies, widths and lengths, scaled to a random peak gain, as the paper's
//! reference implementation draws it. [`RawBoostConfig`] holds the paper's default ranges.

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::fir::{bandstop, convolve_full, peak_response};
use crate::rng::{normal_pair, uniform};

/// The ranges RawBoost draws from; the defaults are the paper's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawBoostConfig {
    /// Powers of the signal in the convolutive noise (1 = linear only).
    pub powers: usize,
    /// Bands per random filter.
    pub bands: usize,
    /// Band centre frequencies, Hz.
    pub centre_hz: [f32; 2],
    /// Band widths, Hz.
    pub width_hz: [f32; 2],
    /// Filter lengths, taps (made odd).
    pub taps: [usize; 2],
    /// Gain of the linear term's filter, dB.
    pub gain_db: [f32; 2],
    /// Extra attenuation of the non-linear terms' filters, dB (subtracted from `gain_db`).
    pub nonlinear_attenuation_db: [f32; 2],
    /// Impulsive noise: at most this percentage of samples is hit.
    pub impulse_percent: u32,
    /// Impulsive noise: the largest share of a sample's value added to it.
    pub impulse_gain: f32,
    /// Coloured noise: SNR range, dB.
    pub snr_db: [f32; 2],
}

impl Default for RawBoostConfig {
    fn default() -> RawBoostConfig {
        RawBoostConfig {
            powers: 5,
            bands: 5,
            centre_hz: [20.0, 8_000.0],
            width_hz: [100.0, 1_000.0],
            taps: [10, 100],
            gain_db: [0.0, 0.0],
            nonlinear_attenuation_db: [5.0, 20.0],
            impulse_percent: 10,
            impulse_gain: 2.0,
            snr_db: [10.0, 40.0],
        }
    }
}

/// Divides `x` by its peak when the peak exceeds 1 (or always, with `always`).
fn normalise_peak(x: &mut [f32], always: bool) {
    let peak = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    if peak > 0.0 && (always || peak > 1.0) {
        x.iter_mut().for_each(|v| *v /= peak);
    }
}

/// A random multi-band filter: `bands` band-stop filters in cascade, scaled so that its peak
/// magnitude response is `10^(gain/20)` with `gain` drawn from `gain_db`.
fn multiband_filter(
    cfg: &RawBoostConfig,
    gain_db: [f32; 2],
    sample_rate: f32,
    rng: &mut impl Rng,
) -> Vec<f32> {
    let nyquist = sample_rate / 2.0;
    let mut b = vec![1.0f32];
    for _ in 0..cfg.bands {
        let fc = uniform(rng, cfg.centre_hz[0], cfg.centre_hz[1]);
        let bw = uniform(rng, cfg.width_hz[0], cfg.width_hz[1]);
        let taps = rng.random_range(cfg.taps[0]..=cfg.taps[1].max(cfg.taps[0])) | 1;
        let f1 = (fc - bw / 2.0).max(1e-3);
        let f2 = (fc + bw / 2.0).min(nyquist - 1e-3);
        let h = bandstop(
            taps,
            f64::from(f1),
            f64::from(f2.max(f1)),
            f64::from(sample_rate),
        );
        b = convolve_full(&b, &h);
    }
    let gain = 10f32.powf(uniform(rng, gain_db[0], gain_db[1]) / 20.0);
    let peak = peak_response(&b, 512).max(1e-12) as f32;
    b.iter_mut().for_each(|v| *v = *v * gain / peak);
    b
}

/// Linear and non-linear convolutive noise: `Σ_k filter_k(x^k)` for `k = 1..=powers`, mean
/// removed, peak-normalised when above 1.
pub fn lnl_convolutive(
    x: &[f32],
    cfg: &RawBoostConfig,
    sample_rate: f32,
    rng: &mut impl Rng,
) -> Vec<f32> {
    let mut y = vec![0.0f32; x.len()];
    for k in 1..=cfg.powers.max(1) {
        let gain = if k == 1 {
            cfg.gain_db
        } else {
            [
                cfg.gain_db[0] - cfg.nonlinear_attenuation_db[0],
                cfg.gain_db[1] - cfg.nonlinear_attenuation_db[1],
            ]
        };
        let gain = [gain[0].min(gain[1]), gain[0].max(gain[1])];
        let b = multiband_filter(cfg, gain, sample_rate, rng);
        let xk: Vec<f32> = x.iter().map(|v| v.powi(k as i32)).collect();
        let filtered = convolve_full(&xk, &b);
        for (o, f) in y.iter_mut().zip(filtered) {
            *o += f;
        }
    }
    let mean = y.iter().map(|v| f64::from(*v)).sum::<f64>() / y.len().max(1) as f64;
    y.iter_mut().for_each(|v| *v -= mean as f32);
    normalise_peak(&mut y, false);
    y
}

/// Impulsive signal-dependent noise: up to `impulse_percent` % of the samples, at random
/// positions, get `gain · x · u1 · u2` added (`u1, u2` uniform in `[-1, 1]`); peak-normalised
/// when above 1.
pub fn isd_impulsive(x: &[f32], cfg: &RawBoostConfig, rng: &mut impl Rng) -> Vec<f32> {
    let mut y = x.to_vec();
    let percent = rng.random_range(0..=cfg.impulse_percent);
    let hits = x.len() * percent as usize / 100;
    let positions = rand::seq::index::sample(rng, x.len(), hits.min(x.len()));
    for p in positions.iter() {
        let f = uniform(rng, -1.0, 1.0) * uniform(rng, -1.0, 1.0);
        y[p] += cfg.impulse_gain * x[p] * f;
    }
    normalise_peak(&mut y, false);
    y
}

/// Stationary signal-independent noise: Gaussian noise through a random multi-band filter,
/// added at an SNR drawn from `snr_db`.
pub fn ssi_coloured(
    x: &[f32],
    cfg: &RawBoostConfig,
    sample_rate: f32,
    rng: &mut impl Rng,
) -> Vec<f32> {
    let mut noise = Vec::with_capacity(x.len() + 1);
    while noise.len() < x.len() {
        let (a, b) = normal_pair(rng);
        noise.push(a);
        noise.push(b);
    }
    noise.truncate(x.len());
    let b = multiband_filter(cfg, cfg.gain_db, sample_rate, rng);
    let mut noise: Vec<f32> = convolve_full(&noise, &b)
        .into_iter()
        .take(x.len())
        .collect();
    normalise_peak(&mut noise, true);
    let snr = uniform(rng, cfg.snr_db[0], cfg.snr_db[1]);
    super::channel::mix_at_snr(x, &noise, snr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample_rng;

    fn speechlike(len: usize) -> Vec<f32> {
        (0..len)
            .map(|i| {
                let t = i as f32 / 16_000.0;
                0.4 * (std::f32::consts::TAU * 220.0 * t).sin()
                    * (std::f32::consts::TAU * 3.0 * t).sin().abs()
            })
            .collect()
    }

    #[test]
    fn every_algorithm_keeps_length_and_range_and_is_seeded() {
        let x = speechlike(16_000);
        let cfg = RawBoostConfig::default();
        let run = |seed| {
            let mut rng = sample_rng(seed, &[]);
            let a = lnl_convolutive(&x, &cfg, 16_000.0, &mut rng);
            let b = isd_impulsive(&a, &cfg, &mut rng);
            ssi_coloured(&b, &cfg, 16_000.0, &mut rng)
        };
        let y = run(7);
        assert_eq!(y.len(), x.len());
        assert!(y.iter().all(|v| v.is_finite()));
        assert_eq!(y, run(7));
        assert_ne!(y, run(8));
        assert_ne!(y, x);
    }

    #[test]
    fn multiband_filter_peaks_at_the_drawn_gain() {
        let cfg = RawBoostConfig::default();
        let b = multiband_filter(&cfg, [-6.0, -6.0], 16_000.0, &mut sample_rng(1, &[]));
        let peak = peak_response(&b, 512);
        assert!((20.0 * peak.log10() + 6.0).abs() < 1e-3, "{peak}");
    }

    #[test]
    fn impulsive_noise_touches_at_most_the_percentage() {
        let x = vec![0.5f32; 10_000];
        let cfg = RawBoostConfig::default();
        for seed in 0..5 {
            let y = isd_impulsive(&x, &cfg, &mut sample_rng(seed, &[]));
            let changed = y.iter().filter(|v| (**v - 0.5).abs() > 1e-9).count();
            // peak normalisation can rescale everything; count relative to the mode instead
            let mode = y[0];
            let off_mode = y.iter().filter(|v| (**v - mode).abs() > 1e-9).count();
            assert!(changed.min(off_mode) <= 1_000, "{changed} {off_mode}");
        }
    }
}

//! Channel effects: what a recording goes through between the talker and the file (gain,
//! background noise, a band-limited line, an 8 kHz telephone leg, a room).

use rand::Rng;

use super::fir::{bandpass, convolve_full, convolve_same, lowpass};
use crate::rng::{normal_pair, uniform};

/// Taps of the band-limiting and resampling filters.
const TAPS: usize = 255;

/// `x` scaled by `db` decibels and clipped to `[-1, 1]`, as a fixed-point file would.
pub fn gain(x: &[f32], db: f32) -> Vec<f32> {
    let g = 10f32.powf(db / 20.0);
    x.iter().map(|v| (v * g).clamp(-1.0, 1.0)).collect()
}

fn energy(x: &[f32]) -> f64 {
    x.iter().map(|v| f64::from(*v).powi(2)).sum()
}

/// `x + noise`, with the noise scaled so that the signal-to-noise ratio is `snr_db` (over the
/// whole clip). A silent `x` or `noise` returns `x` unchanged.
pub fn mix_at_snr(x: &[f32], noise: &[f32], snr_db: f32) -> Vec<f32> {
    let (ex, en) = (energy(x), energy(&noise[..noise.len().min(x.len())]));
    if ex <= 0.0 || en <= 0.0 {
        return x.to_vec();
    }
    let scale = ((ex / en).sqrt() / 10f64.powf(f64::from(snr_db) / 20.0)) as f32;
    x.iter()
        .zip(noise.iter().chain(std::iter::repeat(&0.0)))
        .map(|(s, n)| s + scale * n)
        .collect()
}

/// White Gaussian noise added at `snr_db`.
pub fn white_noise(x: &[f32], snr_db: f32, rng: &mut impl Rng) -> Vec<f32> {
    let mut noise = Vec::with_capacity(x.len() + 1);
    while noise.len() < x.len() {
        let (a, b) = normal_pair(rng);
        noise.push(a);
        noise.push(b);
    }
    mix_at_snr(x, &noise, snr_db)
}

/// `x` through a band-pass filter from `low_hz` to `high_hz` (a linear-phase FIR, no delay).
pub fn band_limit(x: &[f32], low_hz: f32, high_hz: f32, sample_rate: f32) -> Vec<f32> {
    let h = bandpass(
        TAPS,
        f64::from(low_hz),
        f64::from(high_hz),
        f64::from(sample_rate),
    );
    convolve_same(x, &h)
}

/// A round trip through half the sample rate (16 kHz → 8 kHz → 16 kHz): low-pass at 95 % of
/// the lower Nyquist frequency, keep every second sample, then put zeros between them and
/// low-pass again (gain 2). Everything above about 3.8 kHz is gone, as on a telephone line.
pub fn half_rate_roundtrip(x: &[f32], sample_rate: f32) -> Vec<f32> {
    let cutoff = f64::from(sample_rate) / 4.0 * 0.95;
    let h = lowpass(TAPS, cutoff, f64::from(sample_rate));
    let low: Vec<f32> = convolve_same(x, &h).into_iter().step_by(2).collect();
    let mut stuffed = vec![0.0f32; x.len()];
    for (i, v) in low.iter().enumerate() {
        if let Some(s) = stuffed.get_mut(2 * i) {
            *s = 2.0 * v;
        }
    }
    convolve_same(&stuffed, &h)
}

/// `x` in a simulated room: convolved with an exponentially decaying noise tail of
/// reverberation time `rt60_s` (60 dB of decay) after a unit direct path, then scaled back to
/// the input's energy.
pub fn reverb(x: &[f32], rt60_s: f32, sample_rate: f32, rng: &mut impl Rng) -> Vec<f32> {
    let len = ((rt60_s * sample_rate) as usize).max(1);
    // amplitude falls by 60 dB (a factor 1000) over `len` samples
    let decay = (1000f64).ln() / len as f64;
    let mut rir = Vec::with_capacity(len + 1);
    while rir.len() < len {
        let (a, b) = normal_pair(rng);
        rir.push(a);
        rir.push(b);
    }
    rir.truncate(len);
    for (i, v) in rir.iter_mut().enumerate() {
        *v *= (0.3 * (-decay * i as f64).exp()) as f32;
    }
    rir[0] = 1.0;
    let mut y: Vec<f32> = convolve_full(x, &rir).into_iter().take(x.len()).collect();
    let (ex, ey) = (energy(x), energy(&y));
    if ey > 0.0 {
        let s = (ex / ey).sqrt() as f32;
        y.iter_mut().for_each(|v| *v *= s);
    }
    y
}

/// A uniform draw in `range` (re-exported for the augmentation chain).
pub(crate) fn draw(rng: &mut impl Rng, range: [f32; 2]) -> f32 {
    uniform(rng, range[0], range[1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample_rng;

    fn tone(freq: f32, len: usize) -> Vec<f32> {
        (0..len)
            .map(|i| 0.5 * (std::f32::consts::TAU * freq * i as f32 / 16_000.0).sin())
            .collect()
    }

    #[test]
    fn noise_is_added_at_the_asked_snr() {
        let x = tone(440.0, 16_000);
        let y = white_noise(&x, 10.0, &mut sample_rng(3, &[]));
        let noise: Vec<f32> = y.iter().zip(&x).map(|(a, b)| a - b).collect();
        let snr = 10.0 * (energy(&x) / energy(&noise)).log10();
        assert!((snr - 10.0).abs() < 1e-3, "{snr}");
    }

    #[test]
    fn half_rate_roundtrip_keeps_speech_band_and_drops_the_top() {
        let low = tone(1_000.0, 16_000);
        let high = tone(5_000.0, 16_000);
        let core = |x: &[f32]| energy(&x[1_000..15_000]);
        let kept = core(&half_rate_roundtrip(&low, 16_000.0)) / core(&low);
        let dropped = core(&half_rate_roundtrip(&high, 16_000.0)) / core(&high);
        assert!((kept - 1.0).abs() < 0.02, "{kept}");
        assert!(dropped < 1e-3, "{dropped}");
    }

    #[test]
    fn reverb_keeps_length_and_energy() {
        let x = tone(300.0, 8_000);
        let y = reverb(&x, 0.5, 16_000.0, &mut sample_rng(1, &[]));
        assert_eq!(y.len(), x.len());
        assert!((energy(&y) / energy(&x) - 1.0).abs() < 1e-3);
        assert_ne!(y, x);
    }

    #[test]
    fn gain_clips() {
        assert_eq!(gain(&[0.5, -0.9], 6.0), vec![0.5 * 10f32.powf(0.3), -1.0]);
    }
}

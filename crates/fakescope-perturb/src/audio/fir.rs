//! FIR filters: windowed-sinc design (Hamming window, like `scipy.signal.firwin`) and
//! convolution that keeps the signal's length and timing.

use realfft::RealFftPlanner;

/// Above this many taps, [`convolve_same`] convolves through the FFT.
const DIRECT_MAX_TAPS: usize = 64;

/// `sin(πx) / (πx)`.
fn sinc(x: f64) -> f64 {
    if x.abs() < 1e-12 {
        1.0
    } else {
        let px = std::f64::consts::PI * x;
        px.sin() / px
    }
}

/// Hamming window of `n` points (symmetric).
fn hamming(n: usize) -> Vec<f64> {
    if n == 1 {
        return vec![1.0];
    }
    (0..n)
        .map(|i| 0.54 - 0.46 * (std::f64::consts::TAU * i as f64 / (n - 1) as f64).cos())
        .collect()
}

/// Ideal low-pass impulse response of cutoff `fc` (a fraction of the sample rate, `0..0.5`),
/// `taps` long, centred, not windowed.
fn ideal_lowpass(taps: usize, fc: f64) -> Vec<f64> {
    let m = (taps - 1) as f64 / 2.0;
    (0..taps)
        .map(|i| 2.0 * fc * sinc(2.0 * fc * (i as f64 - m)))
        .collect()
}

/// A linear-phase low-pass filter of `taps` taps (made odd) with cutoff `cutoff_hz`, unit gain
/// at DC.
pub fn lowpass(taps: usize, cutoff_hz: f64, sample_rate: f64) -> Vec<f32> {
    let taps = taps | 1;
    let fc = (cutoff_hz / sample_rate).clamp(0.0, 0.5);
    let w = hamming(taps);
    let h: Vec<f64> = ideal_lowpass(taps, fc)
        .iter()
        .zip(&w)
        .map(|(h, w)| h * w)
        .collect();
    let dc: f64 = h.iter().sum();
    h.iter().map(|v| (v / dc.max(1e-12)) as f32).collect()
}

/// A linear-phase band-pass filter passing `low_hz..high_hz`, unit gain at the band's centre.
pub fn bandpass(taps: usize, low_hz: f64, high_hz: f64, sample_rate: f64) -> Vec<f32> {
    let taps = taps | 1;
    let f1 = (low_hz / sample_rate).clamp(0.0, 0.5);
    let f2 = (high_hz / sample_rate).clamp(f1, 0.5);
    let w = hamming(taps);
    let h: Vec<f64> = ideal_lowpass(taps, f2)
        .iter()
        .zip(ideal_lowpass(taps, f1))
        .zip(&w)
        .map(|((hi, lo), w)| (hi - lo) * w)
        .collect();
    let centre = (f1 + f2) / 2.0;
    let gain = response_magnitude(&h, centre);
    h.iter().map(|v| (v / gain.max(1e-12)) as f32).collect()
}

/// A linear-phase band-stop filter removing `low_hz..high_hz`, unit gain at DC (what
/// `firwin(taps, [low, high])` designs with its default `pass_zero=True`).
pub fn bandstop(taps: usize, low_hz: f64, high_hz: f64, sample_rate: f64) -> Vec<f32> {
    let taps = taps | 1;
    let f1 = (low_hz / sample_rate).clamp(0.0, 0.5);
    let f2 = (high_hz / sample_rate).clamp(f1, 0.5);
    let w = hamming(taps);
    let m = (taps - 1) / 2;
    let h: Vec<f64> = ideal_lowpass(taps, f1)
        .iter()
        .zip(ideal_lowpass(taps, f2))
        .enumerate()
        .map(|(i, (lo, hi))| {
            let delta = if i == m { 1.0 } else { 0.0 };
            (delta - (hi - lo)) * w[i]
        })
        .collect();
    let dc: f64 = h.iter().sum();
    h.iter().map(|v| (v / dc.abs().max(1e-12)) as f32).collect()
}

/// |H(f)| of an FIR filter at the normalised frequency `f` (cycles per sample).
fn response_magnitude(h: &[f64], f: f64) -> f64 {
    let (mut re, mut im) = (0.0, 0.0);
    for (n, v) in h.iter().enumerate() {
        let phase = std::f64::consts::TAU * f * n as f64;
        re += v * phase.cos();
        im -= v * phase.sin();
    }
    (re * re + im * im).sqrt()
}

/// The largest |H(f)| of `h` over `points` frequencies from 0 to Nyquist (as `freqz` samples
/// them).
pub fn peak_response(h: &[f32], points: usize) -> f64 {
    let h: Vec<f64> = h.iter().map(|v| f64::from(*v)).collect();
    (0..points)
        .map(|k| response_magnitude(&h, 0.5 * k as f64 / points as f64))
        .fold(0.0, f64::max)
}

/// The full convolution of `a` and `b` (`a.len() + b.len() - 1` values).
pub fn convolve_full(a: &[f32], b: &[f32]) -> Vec<f32> {
    if a.is_empty() || b.is_empty() {
        return Vec::new();
    }
    let out_len = a.len() + b.len() - 1;
    if a.len().min(b.len()) <= DIRECT_MAX_TAPS {
        let (long, short) = if a.len() >= b.len() { (a, b) } else { (b, a) };
        let mut out = vec![0.0f32; out_len];
        for (k, &s) in short.iter().enumerate() {
            if s == 0.0 {
                continue;
            }
            for (o, &l) in out[k..k + long.len()].iter_mut().zip(long) {
                *o += s * l;
            }
        }
        return out;
    }
    let n = out_len.next_power_of_two();
    let mut planner = RealFftPlanner::<f32>::new();
    let forward = planner.plan_fft_forward(n);
    let inverse = planner.plan_fft_inverse(n);
    let spectrum = |x: &[f32]| {
        let mut buf = vec![0.0f32; n];
        buf[..x.len()].copy_from_slice(x);
        let mut out = forward.make_output_vec();
        // Lengths are the plan's own: the transform cannot fail.
        let _ = forward.process(&mut buf, &mut out);
        out
    };
    let sa = spectrum(a);
    let sb = spectrum(b);
    let mut prod: Vec<_> = sa.iter().zip(&sb).map(|(x, y)| x * y).collect();
    // The imaginary parts of the DC and Nyquist bins of a real signal's product are zero up to
    // rounding; realfft refuses them otherwise.
    if let Some(first) = prod.first_mut() {
        first.im = 0.0;
    }
    if let Some(last) = prod.last_mut() {
        last.im = 0.0;
    }
    let mut out = vec![0.0f32; n];
    let _ = inverse.process(&mut prod, &mut out);
    let scale = 1.0 / n as f32;
    out.truncate(out_len);
    out.iter_mut().for_each(|v| *v *= scale);
    out
}

/// `x` filtered by `h`, as long as `x` and aligned with it: the full convolution shifted back
/// by `(h.len() - 1) / 2`, the delay of a linear-phase filter.
pub fn convolve_same(x: &[f32], h: &[f32]) -> Vec<f32> {
    if h.is_empty() {
        return x.to_vec();
    }
    let full = convolve_full(x, h);
    let delay = (h.len() - 1) / 2;
    full.into_iter().skip(delay).take(x.len()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq: f64, len: usize) -> Vec<f32> {
        (0..len)
            .map(|i| (std::f64::consts::TAU * freq * i as f64 / 16_000.0).sin() as f32)
            .collect()
    }

    fn rms(x: &[f32]) -> f64 {
        (x.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
    }

    #[test]
    fn fft_and_direct_convolution_agree() {
        let a: Vec<f32> = (0..500)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 50.0)
            .collect();
        let b: Vec<f32> = (0..100)
            .map(|i| ((i * 13 % 29) as f32 - 14.0) / 14.0)
            .collect();
        let fft = convolve_full(&a, &b);
        let mut direct = vec![0.0f32; a.len() + b.len() - 1];
        for (i, x) in a.iter().enumerate() {
            for (j, y) in b.iter().enumerate() {
                direct[i + j] += x * y;
            }
        }
        for (f, d) in fft.iter().zip(&direct) {
            assert!((f - d).abs() < 1e-3, "{f} vs {d}");
        }
    }

    #[test]
    fn filters_pass_and_stop_what_they_say() {
        let sr = 16_000.0;
        let lp = lowpass(255, 3_800.0, sr);
        let bp = bandpass(255, 300.0, 3_400.0, sr);
        let bs = bandstop(255, 900.0, 1_100.0, sr);
        let low = tone(1_000.0, 16_000);
        let high = tone(6_000.0, 16_000);
        let core = |x: Vec<f32>| rms(&x[1_000..15_000]);
        assert!((core(convolve_same(&low, &lp)) / rms(&low) - 1.0).abs() < 0.01);
        assert!(core(convolve_same(&high, &lp)) / rms(&high) < 0.01);
        assert!((core(convolve_same(&low, &bp)) / rms(&low) - 1.0).abs() < 0.02);
        assert!(core(convolve_same(&high, &bp)) / rms(&high) < 0.01);
        assert!(core(convolve_same(&tone(100.0, 16_000), &bp)) / rms(&low) < 0.1);
        assert!(core(convolve_same(&low, &bs)) / rms(&low) < 0.1);
        assert!((core(convolve_same(&high, &bs)) / rms(&high) - 1.0).abs() < 0.02);
    }

    #[test]
    fn same_convolution_keeps_timing() {
        let mut x = vec![0.0f32; 101];
        x[50] = 1.0;
        let y = convolve_same(&x, &lowpass(31, 4_000.0, 16_000.0));
        let peak = y
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, _)| i);
        assert_eq!(peak, Some(50));
    }
}

//! The fixed mel-spaced sinc band-pass filterbank of AASIST's front end (upstream class `CONV`).

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};

/// `nfft` upstream uses to lay out the mel scale (only the band edges depend on it).
const NFFT: usize = 512;

/// A bank of band-pass FIR filters with band edges equally spaced on the mel scale between 0 Hz
/// and Nyquist, windowed by a Hamming window, applied as a valid 1-D convolution (stride 1, no
/// bias) to a mono waveform.
///
/// The filters are **computed, not stored**: upstream computes them from the config when the
/// model is built and they are not in the checkpoint. As upstream, an even kernel size is
/// bumped to the next odd number (128 → 129) so that the filters are symmetric.
///
/// The arithmetic follows upstream's mixed precision: the sinc argument is formed and the sinc
/// evaluated in `f32` (a `float32` torch tensor goes through NumPy), the band gains in `f64`,
/// and the product with the window in `f32`.
#[derive(Module, Debug)]
pub struct SincFilterbank {
    /// `[kernel, out_channels]`: filter `c` is column `c`, ready for `windows × filters`.
    pub filters: Tensor<2>,
}

impl SincFilterbank {
    /// The filterbank of upstream `CONV(out_channels, kernel_size, sample_rate)`.
    pub fn new(out_channels: usize, kernel_size: usize, sample_rate: u32, device: &Device) -> Self {
        let kernel = kernel_size | 1;
        let coefficients = band_pass_filters(out_channels, kernel, sample_rate);
        // [out_channels, kernel] → [kernel, out_channels]
        let mut columns = vec![0.0f32; coefficients.len()];
        for (c, filter) in coefficients.chunks_exact(kernel).enumerate() {
            for (k, &v) in filter.iter().enumerate() {
                columns[k * out_channels + c] = v;
            }
        }
        SincFilterbank {
            filters: Tensor::from_data(TensorData::new(columns, [kernel, out_channels]), device),
        }
    }

    /// Filter length (odd).
    pub fn kernel(&self) -> usize {
        self.filters.dims()[0]
    }

    /// Filters `x` with every band, channels last.
    ///
    /// # Shapes
    /// - `x`: `[batch, samples]`
    /// - output: `[batch, samples - kernel + 1, out_channels]`
    pub fn forward(&self, x: Tensor<2>) -> Tensor<3> {
        let windows: Tensor<3> = x.unfold(1, self.kernel(), 1); // [batch, time, kernel], a view
        windows.matmul(self.filters.clone().unsqueeze_dim(0))
    }
}

fn to_mel(hz: f64) -> f64 {
    2595.0 * (1.0 + hz / 700.0).log10()
}

fn to_hz(mel: f64) -> f64 {
    700.0 * (10f64.powf(mel / 2595.0) - 1.0)
}

/// NumPy's `linspace(start, stop, num)` (endpoint included, last value exact).
fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    let div = (num - 1) as f64;
    let step = (stop - start) / div;
    (0..num)
        .map(|i| {
            if i + 1 == num {
                stop
            } else {
                start + i as f64 * step
            }
        })
        .collect()
}

/// NumPy's `sinc` in `f32`: `sin(pi x) / (pi x)`, with `x = 0` replaced by `1e-20`.
fn sinc_f32(x: f32) -> f32 {
    let y = std::f32::consts::PI * if x == 0.0 { 1.0e-20 } else { x };
    y.sin() / y
}

/// Upstream `CONV.__init__`'s `band_pass`: `[out_channels, kernel]` row-major.
fn band_pass_filters(out_channels: usize, kernel: usize, sample_rate: u32) -> Vec<f32> {
    let sr = f64::from(sample_rate);
    let nyquist = f64::from(sample_rate / 2);
    let mels: Vec<f64> = linspace(0.0, 1.0, NFFT / 2 + 1)
        .into_iter()
        .map(|r| to_mel(nyquist * r))
        .collect();
    let (mel_min, mel_max) = mels
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &m| {
            (lo.min(m), hi.max(m))
        });
    let edges: Vec<f64> = linspace(mel_min, mel_max, out_channels + 1)
        .into_iter()
        .map(to_hz)
        .collect();
    let half = (kernel - 1) / 2;
    let support: Vec<f32> = (0..kernel).map(|i| i as f32 - half as f32).collect();
    let hamming: Vec<f32> = (0..kernel)
        .map(|n| {
            let phase = 2.0 * std::f64::consts::PI * n as f64 / (kernel - 1) as f64;
            (0.54 - 0.46 * phase.cos()) as f32
        })
        .collect();
    let ideal = |f: f64, t: f32| -> f64 {
        // torch: (2 f) [rounded to f32] * t / sample_rate, in f32; numpy gain in f64.
        let arg = (2.0 * f) as f32 * t / sample_rate as f32;
        (2.0 * f / sr) * f64::from(sinc_f32(arg))
    };
    let mut out = Vec::with_capacity(out_channels * kernel);
    for band in edges.windows(2) {
        let (f_lo, f_hi) = (band[0], band[1]);
        for (k, &t) in support.iter().enumerate() {
            let h = ideal(f_hi, t) - ideal(f_lo, t);
            out.push(hamming[k] * h as f32);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_kernel_is_made_odd_and_filters_are_symmetric() {
        let bank = SincFilterbank::new(70, 128, 16_000, &Device::flex());
        assert_eq!(bank.filters.dims(), [129, 70]);
        let f = band_pass_filters(70, 129, 16_000);
        for c in 0..70 {
            let row = &f[c * 129..(c + 1) * 129];
            for k in 0..64 {
                assert!((row[k] - row[128 - k]).abs() < 1e-7);
            }
        }
    }

    /// The centre tap of a band-pass [lo, hi] is 2 (hi - lo) / sr (window = 1 there).
    #[test]
    fn centre_tap_is_the_band_width() {
        let f = band_pass_filters(70, 129, 16_000);
        let mel_max = to_mel(8000.0);
        let hi = to_hz(mel_max / 70.0);
        assert!((f[64] - (2.0 * hi / 16_000.0) as f32).abs() < 1e-6);
    }

    #[test]
    fn band_edges_span_zero_to_nyquist() {
        let edges = linspace(0.0, to_mel(8000.0), 71);
        assert_eq!(to_hz(edges[0]), 0.0);
        assert!((to_hz(edges[70]) - 8000.0).abs() < 1e-9);
    }
}

//! Robustness perturbations: named distortions at five fixed levels, as benchmarks apply them
//! to every test file before a detector sees it (`fakescope bench`).
//!
//! The image distortions are those of DeeperForensics-1.0 (Jiang et al., CVPR 2020), with its
//! parameters at each level; a level-5 distortion is the strongest:
//!
//! | name | DF-1.0 | levels 1–5 | what |
//! |---|---|---|---|
//! | `saturation` | CS | 0.4, 0.3, 0.2, 0.1, 0.0 | chroma (Cb, Cr about their neutral value) scaled by the level: [`crate::adjust_saturation`] |
//! | `contrast` | CC | 0.85, 0.725, 0.6, 0.475, 0.35 | every channel value multiplied by the level |
//! | `block` | BW | 16, 32, 48, 64, 80 | that many 8x8 mid-grey (128) blocks per 256 px of the shorter side, at random places |
//! | `noise` | GNC | 0.001, 0.002, 0.005, 0.01, 0.05 | white Gaussian noise of that variance in Y, Cb and Cr (on DF-1.0's `[0, 1]` studio-range scale) |
//! | `blur` | GB | 7, 9, 13, 17, 21 | Gaussian blur of kernel size k and sigma k / 6 |
//! | `pixelation` | "JPEG" | 2, 3, 4, 5, 6 | down-scaled by the level and back up (DF-1.0 calls this one JPEG) |
//! | `jpeg` | — | quality 90, 75, 60, 45, 30 | a real JPEG round trip (4:2:0) |
//! | `downscale` | — | 0.75, 0.5, 0.4, 0.3, 0.25 | the image made smaller (not scaled back) |
//!
//! Where fakescope departs from DF-1.0's code, on purpose:
//! - values are rounded and clamped to `0..=255` (DF-1.0 truncates, and wraps negative values
//!   around in `saturation`);
//! - `block` scales its count with `round(level * short_side / 256)`, at least 1: DF-1.0 uses
//!   `short_side // 256 * level`, which puts no block at all on images under 256 px (every
//!   face crop);
//! - `blur` truncates its kernel at 3 sigma (k + 2 taps: 9, 11, 15, 19, 23 for levels 1–5) with edges
//!   clamped, where OpenCV truncates at k taps and reflects;
//! - `pixelation` shrinks with an antialiased triangle filter (OpenCV's `INTER_LINEAR` is not
//!   antialiased when shrinking).
//!
//! The speech distortions (channels of the ASVspoof 5 kind; fakescope's levels):
//!
//! | name | levels 1–5 | what |
//! |---|---|---|
//! | `mp3`, `aac` | 128, 96, 64, 32, 16 kbit/s | a codec round trip through the system ffmpeg |
//! | `opus` | 64, 32, 16, 12, 8 kbit/s | the same, Opus |
//! | `narrowband` | one level | the 8 kHz round trip of a telephone line |
//! | `snr` | 30, 20, 15, 10, 5 dB | white noise at that signal-to-noise ratio |
//! | `gain` | −6, −12, −18, −24, −30 dB | attenuation |
//! | `reverb` | RT60 0.2, 0.4, 0.6, 0.8, 1.0 s | a simulated room |
//!
//! Every distortion that draws random numbers draws them from the `rng` it is given; the
//! bench gives each file and condition its own [`crate::sample_rng`] stream, so a re-run is
//! identical.
//!
//! ```
//! use fakescope_perturb::robustness::{Distortion, Perturbation};
//! use fakescope_perturb::{RgbImage, image::Rgb, sample_rng};
//!
//! let p: Perturbation = "blur:3".parse()?;
//! assert_eq!((p.distortion, p.level), (Distortion::Blur, 3));
//! assert_eq!(p.to_string(), "blur:3");
//! assert_eq!(p.describe(), "Gaussian blur, kernel 13, sigma 2.17");
//!
//! let img = RgbImage::from_fn(64, 48, |x, y| Rgb([x as u8 * 3, y as u8 * 4, 120]));
//! let out = p.apply_image(&img, &mut sample_rng(1, &[0]))?;
//! assert_eq!(out.dimensions(), (64, 48));
//! # Ok::<(), fakescope_perturb::Error>(())
//! ```

use std::fmt;
use std::str::FromStr;

use image::{Rgb, RgbImage};
use rand::Rng;

use crate::Error;
use crate::audio::{Codec, channel, codec_roundtrip};
use crate::color::to_u8;
use crate::resample::resize_linear;
use crate::rng::normal_pair;

/// What a distortion applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Medium {
    /// Images and video frames.
    Image,
    /// Speech (16 kHz mono samples).
    Audio,
}

/// A named distortion; [`Perturbation`] adds its level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Distortion {
    /// DF-1.0 CS: chroma scaled towards grey.
    Saturation,
    /// DF-1.0 CC: values scaled towards black.
    Contrast,
    /// DF-1.0 BW: mid-grey 8x8 blocks.
    Block,
    /// DF-1.0 GNC: Gaussian noise in Y, Cb, Cr.
    Noise,
    /// DF-1.0 GB: Gaussian blur.
    Blur,
    /// DF-1.0's "JPEG": down-scaled and back up.
    Pixelation,
    /// A JPEG round trip.
    Jpeg,
    /// The image made smaller.
    Downscale,
    /// An MP3 round trip.
    Mp3,
    /// An AAC round trip.
    Aac,
    /// An Opus round trip.
    Opus,
    /// The 8 kHz round trip.
    Narrowband,
    /// White noise at an SNR.
    Snr,
    /// Attenuation.
    Gain,
    /// A simulated room.
    Reverb,
}

impl Distortion {
    /// Every distortion, images first.
    pub const ALL: [Distortion; 15] = [
        Distortion::Saturation,
        Distortion::Contrast,
        Distortion::Block,
        Distortion::Noise,
        Distortion::Blur,
        Distortion::Pixelation,
        Distortion::Jpeg,
        Distortion::Downscale,
        Distortion::Mp3,
        Distortion::Aac,
        Distortion::Opus,
        Distortion::Narrowband,
        Distortion::Snr,
        Distortion::Gain,
        Distortion::Reverb,
    ];

    /// The name plans use (`saturation`, `jpeg`, `mp3`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Distortion::Saturation => "saturation",
            Distortion::Contrast => "contrast",
            Distortion::Block => "block",
            Distortion::Noise => "noise",
            Distortion::Blur => "blur",
            Distortion::Pixelation => "pixelation",
            Distortion::Jpeg => "jpeg",
            Distortion::Downscale => "downscale",
            Distortion::Mp3 => "mp3",
            Distortion::Aac => "aac",
            Distortion::Opus => "opus",
            Distortion::Narrowband => "narrowband",
            Distortion::Snr => "snr",
            Distortion::Gain => "gain",
            Distortion::Reverb => "reverb",
        }
    }

    /// The distortion called `name`.
    pub fn from_name(name: &str) -> Option<Distortion> {
        Distortion::ALL.into_iter().find(|d| d.name() == name)
    }

    /// Images or speech.
    pub fn medium(self) -> Medium {
        match self {
            Distortion::Saturation
            | Distortion::Contrast
            | Distortion::Block
            | Distortion::Noise
            | Distortion::Blur
            | Distortion::Pixelation
            | Distortion::Jpeg
            | Distortion::Downscale => Medium::Image,
            _ => Medium::Audio,
        }
    }

    /// The parameter at each level, level 1 first (see the module's tables for the units).
    pub fn parameters(self) -> &'static [f32] {
        match self {
            Distortion::Saturation => &[0.4, 0.3, 0.2, 0.1, 0.0],
            Distortion::Contrast => &[0.85, 0.725, 0.6, 0.475, 0.35],
            Distortion::Block => &[16.0, 32.0, 48.0, 64.0, 80.0],
            Distortion::Noise => &[0.001, 0.002, 0.005, 0.01, 0.05],
            Distortion::Blur => &[7.0, 9.0, 13.0, 17.0, 21.0],
            Distortion::Pixelation => &[2.0, 3.0, 4.0, 5.0, 6.0],
            Distortion::Jpeg => &[90.0, 75.0, 60.0, 45.0, 30.0],
            Distortion::Downscale => &[0.75, 0.5, 0.4, 0.3, 0.25],
            Distortion::Mp3 | Distortion::Aac => &[128.0, 96.0, 64.0, 32.0, 16.0],
            Distortion::Opus => &[64.0, 32.0, 16.0, 12.0, 8.0],
            Distortion::Narrowband => &[8000.0],
            Distortion::Snr => &[30.0, 20.0, 15.0, 10.0, 5.0],
            Distortion::Gain => &[-6.0, -12.0, -18.0, -24.0, -30.0],
            Distortion::Reverb => &[0.2, 0.4, 0.6, 0.8, 1.0],
        }
    }

    /// How many levels it has (5, or 1 for `narrowband`).
    pub fn levels(self) -> u8 {
        self.parameters().len() as u8
    }

    /// The distortion at `level` (1-based), or why not.
    pub fn at(self, level: u8) -> Result<Perturbation, Error> {
        if level == 0 || level > self.levels() {
            return Err(Error::invalid(
                self.name(),
                format!("level {level} is outside 1..={}", self.levels()),
            ));
        }
        Ok(Perturbation {
            distortion: self,
            level,
        })
    }
}

/// A distortion at one of its levels: `jpeg:3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Perturbation {
    /// What is done.
    pub distortion: Distortion,
    /// How strongly, from 1.
    pub level: u8,
}

impl fmt::Display for Perturbation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.distortion.name(), self.level)
    }
}

impl FromStr for Perturbation {
    type Err = Error;

    /// `name:level`, e.g. `jpeg:3`; the error lists the names when `name` is unknown.
    fn from_str(s: &str) -> Result<Self, Error> {
        let (name, level) = s.split_once(':').ok_or_else(|| {
            Error::invalid(s, "a perturbation is written name:level, e.g. jpeg:3")
        })?;
        let distortion = Distortion::from_name(name).ok_or_else(|| {
            let names: Vec<&str> = Distortion::ALL.iter().map(|d| d.name()).collect();
            Error::invalid(
                name,
                format!("unknown distortion; known: {}", names.join(", ")),
            )
        })?;
        let level: u8 = level
            .parse()
            .map_err(|_| Error::invalid(s, format!("level {level:?} is not a number")))?;
        distortion.at(level)
    }
}

impl Perturbation {
    /// The parameter of this level.
    pub fn parameter(self) -> f32 {
        self.distortion.parameters()[usize::from(self.level) - 1]
    }

    /// What it does, in words with its parameter: `JPEG quality 60`.
    pub fn describe(self) -> String {
        let v = self.parameter();
        match self.distortion {
            Distortion::Saturation => format!("colour saturation x{v}"),
            Distortion::Contrast => format!("colour contrast x{v}"),
            Distortion::Block => format!("{v} grey 8x8 blocks per 256 px"),
            Distortion::Noise => format!("Gaussian noise in YCbCr, variance {v}"),
            Distortion::Blur => format!("Gaussian blur, kernel {v}, sigma {:.2}", v / 6.0),
            Distortion::Pixelation => format!("pixelation, 1/{v} and back"),
            Distortion::Jpeg => format!("JPEG quality {v}"),
            Distortion::Downscale => format!("down-scaled x{v}"),
            Distortion::Mp3 => format!("MP3 {v} kbit/s"),
            Distortion::Aac => format!("AAC {v} kbit/s"),
            Distortion::Opus => format!("Opus {v} kbit/s"),
            Distortion::Narrowband => "8 kHz round trip".into(),
            Distortion::Snr => format!("white noise at {v} dB SNR"),
            Distortion::Gain => format!("gain {v} dB"),
            Distortion::Reverb => format!("reverberation, RT60 {v} s"),
        }
    }

    /// Applies an image distortion. Only `downscale` changes the size.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a speech distortion; JPEG errors for `jpeg`.
    pub fn apply_image(self, img: &RgbImage, rng: &mut impl Rng) -> Result<RgbImage, Error> {
        let v = self.parameter();
        let (w, h) = img.dimensions();
        Ok(match self.distortion {
            Distortion::Saturation => crate::adjust_saturation(img, v),
            Distortion::Contrast => {
                let mut out = img.clone();
                for px in out.pixels_mut() {
                    *px = Rgb(px.0.map(|c| to_u8(f32::from(c) * v)));
                }
                out
            }
            Distortion::Block => grey_blocks(img, v, rng),
            Distortion::Noise => ycbcr_noise(img, v, rng),
            Distortion::Blur => crate::gaussian_blur(img, v / 6.0),
            Distortion::Pixelation => crate::downscale_roundtrip(img, 1.0 / v),
            Distortion::Jpeg => crate::jpeg_roundtrip(img, v as u8)?,
            Distortion::Downscale => {
                let side = |n: u32| ((n as f32 * v).round() as u32).max(1);
                resize_linear(img, side(w), side(h))
            }
            _ => {
                return Err(Error::invalid(
                    self.distortion.name(),
                    "is a speech distortion, not an image one",
                ));
            }
        })
    }

    /// Applies a speech distortion to mono samples at `sample_rate`; the length is kept.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an image distortion; [`Error::Codec`] when a codec round trip
    /// fails (ffmpeg missing or failing).
    pub fn apply_audio(
        self,
        x: &[f32],
        sample_rate: u32,
        rng: &mut impl Rng,
    ) -> Result<Vec<f32>, Error> {
        let v = self.parameter();
        let rate = sample_rate as f32;
        match self.distortion {
            Distortion::Mp3 => codec_roundtrip(x, sample_rate, Codec::Mp3, v as u32),
            Distortion::Aac => codec_roundtrip(x, sample_rate, Codec::Aac, v as u32),
            Distortion::Opus => codec_roundtrip(x, sample_rate, Codec::Opus, v as u32),
            Distortion::Narrowband => Ok(channel::half_rate_roundtrip(x, rate)),
            Distortion::Snr => Ok(channel::white_noise(x, v, rng)),
            Distortion::Gain => Ok(channel::gain(x, v)),
            Distortion::Reverb => Ok(channel::reverb(x, v, rate, rng)),
            _ => Err(Error::invalid(
                self.distortion.name(),
                "is an image distortion, not a speech one",
            )),
        }
    }
}

/// DF-1.0's block-wise distortion: `round(per_256 * short_side / 256)` (at least 1) mid-grey
/// 8x8 blocks, each corner drawn uniformly so that the block fits.
fn grey_blocks(img: &RgbImage, per_256: f32, rng: &mut impl Rng) -> RgbImage {
    const SIDE: u32 = 8;
    let (w, h) = img.dimensions();
    let mut out = img.clone();
    if w < SIDE || h < SIDE {
        return out;
    }
    let count = ((per_256 * w.min(h) as f32 / 256.0).round() as usize).max(1);
    for _ in 0..count {
        let x0 = rng.random_range(0..=w - SIDE);
        let y0 = rng.random_range(0..=h - SIDE);
        for y in y0..y0 + SIDE {
            for x in x0..x0 + SIDE {
                out.put_pixel(x, y, Rgb([128, 128, 128]));
            }
        }
    }
    out
}

/// DF-1.0's colour noise: independent Gaussian noise of variance `variance` added to Y, Cb and
/// Cr on its `[0, 1]` studio-range scale (Y spans 219/255 of it, Cb and Cr 224/255), i.e. with
/// standard deviations `sqrt(variance) * 255 * 255/219` (Y) and `* 255/224` (Cb, Cr) in
/// 8-bit units, brought back to RGB with the BT.601 matrix. Draws three normals per pixel.
fn ycbcr_noise(img: &RgbImage, variance: f32, rng: &mut impl Rng) -> RgbImage {
    let s = variance.max(0.0).sqrt() * 255.0;
    let (sy, sc) = (s * 255.0 / 219.0, s * 255.0 / 224.0);
    let mut out = img.clone();
    for px in out.pixels_mut() {
        let (a, b) = normal_pair(rng);
        let (c, _) = normal_pair(rng);
        let (dy, dcb, dcr) = (a * sy, b * sc, c * sc);
        // Cb = 0.564 (B - Y) and Cr = 0.713 (R - Y) invert to these (OpenCV's constants).
        let d = [
            dy + 1.403 * dcr,
            dy - 0.714 * dcr - 0.344 * dcb,
            dy + 1.773 * dcb,
        ];
        let [r, g, bl] = px.0;
        *px = Rgb([
            to_u8(f32::from(r) + d[0]),
            to_u8(f32::from(g) + d[1]),
            to_u8(f32::from(bl) + d[2]),
        ]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample_rng;

    fn gradient(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            Rgb([
                (x * 7 % 256) as u8,
                (y * 5 % 256) as u8,
                ((x + y) % 256) as u8,
            ])
        })
    }

    #[test]
    fn names_parse_and_print_and_levels_are_checked() {
        for d in Distortion::ALL {
            assert_eq!(Distortion::from_name(d.name()), Some(d));
            for level in 1..=d.levels() {
                let p = d.at(level).unwrap();
                assert_eq!(p.to_string().parse::<Perturbation>().unwrap(), p);
                assert!(!p.describe().is_empty());
            }
            assert!(d.at(0).is_err());
            assert!(d.at(d.levels() + 1).is_err());
        }
        let e = "sharpen:1".parse::<Perturbation>().unwrap_err().to_string();
        assert!(
            e.contains("unknown distortion") && e.contains("pixelation"),
            "{e}"
        );
        assert!("jpeg".parse::<Perturbation>().is_err());
        assert!("jpeg:x".parse::<Perturbation>().is_err());
        assert!("narrowband:2".parse::<Perturbation>().is_err());
    }

    #[test]
    fn image_distortions_follow_deeperforensics_parameters() {
        let img = gradient(300, 200);
        let rng = &mut sample_rng(3, &[]);
        // CS level 5 is grey: every pixel has R = G = B (up to rounding).
        let grey = Distortion::Saturation
            .at(5)
            .unwrap()
            .apply_image(&img, rng)
            .unwrap();
        assert!(
            grey.pixels()
                .all(|p| p.0.iter().max().unwrap() - p.0.iter().min().unwrap() <= 1)
        );
        // CC scales values: 200 * 0.35 = 70.
        let flat = RgbImage::from_pixel(4, 4, Rgb([200, 100, 0]));
        let dark = Distortion::Contrast
            .at(5)
            .unwrap()
            .apply_image(&flat, rng)
            .unwrap();
        assert_eq!(dark.get_pixel(0, 0).0, [70, 35, 0]);
        // BW: 16 * 200 / 256 = 12.5 -> 13 blocks at level 1 (some may overlap).
        let flat = RgbImage::from_pixel(300, 200, Rgb([0, 0, 0]));
        let blocks = Distortion::Block
            .at(1)
            .unwrap()
            .apply_image(&flat, rng)
            .unwrap();
        let grey_px = blocks.pixels().filter(|p| p.0 == [128, 128, 128]).count();
        assert!((5 * 64..=13 * 64).contains(&grey_px), "{grey_px}");
        // A 100 px face crop still gets a block (DF-1.0's formula would give none).
        let small = RgbImage::from_pixel(100, 100, Rgb([0, 0, 0]));
        let b = Distortion::Block
            .at(1)
            .unwrap()
            .apply_image(&small, rng)
            .unwrap();
        let n = b.pixels().filter(|p| p.0 == [128, 128, 128]).count();
        assert!((64..=6 * 64).contains(&n), "{n}");
        // Pixelation keeps the size; downscale does not.
        let px = Distortion::Pixelation
            .at(2)
            .unwrap()
            .apply_image(&img, rng)
            .unwrap();
        assert_eq!(px.dimensions(), (300, 200));
        let ds = Distortion::Downscale
            .at(2)
            .unwrap()
            .apply_image(&img, rng)
            .unwrap();
        assert_eq!(ds.dimensions(), (150, 100));
        // Speech distortions are refused on images.
        assert!(
            Distortion::Mp3
                .at(1)
                .unwrap()
                .apply_image(&img, rng)
                .is_err()
        );
    }

    #[test]
    fn colour_noise_has_deeperforensics_strength_and_is_seeded() {
        let img = RgbImage::from_pixel(200, 200, Rgb([128, 128, 128]));
        let p = Distortion::Noise.at(1).unwrap();
        let a = p.apply_image(&img, &mut sample_rng(9, &[1])).unwrap();
        let b = p.apply_image(&img, &mut sample_rng(9, &[1])).unwrap();
        assert_eq!(a, b);
        // The green channel: dY - 0.714 dCr - 0.344 dCb, so its standard deviation is
        // sqrt(sy^2 + (0.714^2 + 0.344^2) sc^2) with sy = 0.0316 * 255 * 255 / 219 = 9.39 and
        // sc = 9.18: about 11.88.
        let g: Vec<f64> = a.pixels().map(|p| f64::from(p.0[1]) - 128.0).collect();
        let sd = (g.iter().map(|v| v * v).sum::<f64>() / g.len() as f64).sqrt();
        assert!((sd - 11.88).abs() < 0.2, "{sd}");
    }

    #[test]
    fn speech_distortions_keep_the_length() {
        let x: Vec<f32> = (0..16_000).map(|i| 0.3 * (i as f32 * 0.05).sin()).collect();
        let rng = &mut sample_rng(2, &[]);
        for d in [
            Distortion::Narrowband,
            Distortion::Snr,
            Distortion::Gain,
            Distortion::Reverb,
        ] {
            let y = d.at(1).unwrap().apply_audio(&x, 16_000, rng).unwrap();
            assert_eq!(y.len(), x.len(), "{}", d.name());
        }
        // -6 dB halves the amplitude.
        let y = Distortion::Gain
            .at(1)
            .unwrap()
            .apply_audio(&x, 16_000, rng)
            .unwrap();
        assert!((y[31] / x[31] - 0.501).abs() < 0.001);
        assert!(
            Distortion::Blur
                .at(1)
                .unwrap()
                .apply_audio(&x, 16_000, rng)
                .is_err()
        );
    }
}

//! [`Augment`]: the training augmentation, a fixed chain of the primitives, each applied with
//! its own probability and random parameters.

use image::RgbImage;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::rng::{coin, uniform};
use crate::{
    Error, adjust_brightness_contrast, adjust_saturation, downscale_roundtrip, gaussian_blur,
    gaussian_noise, hflip, jpeg_roundtrip, shift_hue, zoom_out,
};

/// The training augmentation: which transforms run, how often, and over which ranges.
///
/// [`Augment::apply`] runs them in this fixed order, each with probability `p`:
/// 1. [`hflip`](Augment::hflip),
/// 2. [`zoom_out`](Augment::zoom_out) (before the colour and quality changes, so the mirrored
///    surroundings get them too),
/// 3. [`color`](Augment::color): brightness and contrast, then saturation, then hue,
/// 4. [`downscale`](Augment::downscale),
/// 5. [`blur`](Augment::blur),
/// 6. [`noise`](Augment::noise),
/// 7. [`jpeg`](Augment::jpeg), last, so that its blocks are the final artefact, as in a file
///    that was edited and then saved.
///
/// Ranges are `[min, max]`, drawn uniformly (JPEG quality: a uniform integer, both ends
/// included). Every field has a default (the values below), so a config names only what it
/// changes; unknown fields are an error. In TOML:
///
/// ```toml
/// [augment.jpeg]
/// p = 0.7
/// quality = [40, 95]
/// ```
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Augment {
    /// Horizontal mirror ([`hflip`]); default p 0.5.
    pub hflip: Hflip,
    /// Shrink onto a mirrored canvas ([`zoom_out`]); default p 0 (off), scale 0.5 to 1.
    pub zoom_out: ZoomOut,
    /// Colour jitter; default p 0.8, brightness ±0.1, contrast 0.9 to 1.1, saturation 0.8 to 1.2,
    /// hue ±5°.
    pub color: ColorJitter,
    /// Down- and up-scaling ([`downscale_roundtrip`]); default p 0.3, scale 0.5 to 1.
    pub downscale: Downscale,
    /// Gaussian blur ([`gaussian_blur`]); default p 0.2, sigma 0.1 to 1.5 pixels.
    pub blur: Blur,
    /// Gaussian noise ([`gaussian_noise`]); default p 0.2, sigma 0 to 8 levels.
    pub noise: Noise,
    /// JPEG re-compression ([`jpeg_roundtrip`]); default p 0.5, quality 30 to 100.
    pub jpeg: Jpeg,
}

/// Horizontal mirror.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Hflip {
    /// Probability of mirroring.
    pub p: f32,
}

impl Default for Hflip {
    fn default() -> Hflip {
        Hflip { p: 0.5 }
    }
}

/// Zoom-out onto a canvas filled with the mirrored image ([`zoom_out`]).
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ZoomOut {
    /// Probability of zooming out.
    pub p: f32,
    /// Range of the side scale, in `(0, 1]`; the position in the free space is uniform in both
    /// directions.
    pub scale: [f32; 2],
}

impl Default for ZoomOut {
    fn default() -> ZoomOut {
        ZoomOut {
            p: 0.0,
            scale: [0.5, 1.0],
        }
    }
}

/// Colour jitter ([`adjust_brightness_contrast`], [`adjust_saturation`], [`shift_hue`], in that
/// order, all four values drawn each time it applies).
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ColorJitter {
    /// Probability of jittering the colour.
    pub p: f32,
    /// Range of the brightness delta, in `[0, 1]` units (0.1 is 25.5 levels).
    pub brightness: [f32; 2],
    /// Range of the contrast factor (about mid-grey), at least 0.
    pub contrast: [f32; 2],
    /// Range of the saturation factor, at least 0.
    pub saturation: [f32; 2],
    /// Range of the hue rotation, in degrees.
    pub hue: [f32; 2],
}

impl Default for ColorJitter {
    fn default() -> ColorJitter {
        ColorJitter {
            p: 0.8,
            brightness: [-0.1, 0.1],
            contrast: [0.9, 1.1],
            saturation: [0.8, 1.2],
            hue: [-5.0, 5.0],
        }
    }
}

/// Resolution loss ([`downscale_roundtrip`]).
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Downscale {
    /// Probability of the down-up scaling.
    pub p: f32,
    /// Range of the intermediate scale, in `(0, 1]`.
    pub scale: [f32; 2],
}

impl Default for Downscale {
    fn default() -> Downscale {
        Downscale {
            p: 0.3,
            scale: [0.5, 1.0],
        }
    }
}

/// Gaussian blur ([`gaussian_blur`]).
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Blur {
    /// Probability of blurring.
    pub p: f32,
    /// Range of sigma, in pixels, at least 0.
    pub sigma: [f32; 2],
}

impl Default for Blur {
    fn default() -> Blur {
        Blur {
            p: 0.2,
            sigma: [0.1, 1.5],
        }
    }
}

/// Additive Gaussian noise ([`gaussian_noise`]).
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Noise {
    /// Probability of adding noise.
    pub p: f32,
    /// Range of sigma, in levels of `0..=255`, at least 0.
    pub sigma: [f32; 2],
}

impl Default for Noise {
    fn default() -> Noise {
        Noise {
            p: 0.2,
            sigma: [0.0, 8.0],
        }
    }
}

/// JPEG re-compression ([`jpeg_roundtrip`]).
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Jpeg {
    /// Probability of re-compressing.
    pub p: f32,
    /// Range of the quality, in `1..=100`, both ends included.
    pub quality: [u8; 2],
}

impl Default for Jpeg {
    fn default() -> Jpeg {
        Jpeg {
            p: 0.5,
            quality: [30, 100],
        }
    }
}

/// Checks that `p` is a probability.
pub(crate) fn check_p(field: &str, p: f32) -> Result<(), Error> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(Error::invalid(field, format!("{p} is outside [0, 1]")))
    }
}

/// Checks that a range is finite and ordered.
pub(crate) fn check_range(field: &str, [min, max]: [f32; 2]) -> Result<(), Error> {
    if !min.is_finite() || !max.is_finite() {
        return Err(Error::invalid(
            field,
            format!("[{min}, {max}] is not finite"),
        ));
    }
    if min > max {
        return Err(Error::invalid(field, format!("min {min} > max {max}")));
    }
    Ok(())
}

/// Checks a range and that its minimum is at least 0.
pub(crate) fn check_nonnegative(field: &str, range: [f32; 2]) -> Result<(), Error> {
    check_range(field, range)?;
    if range[0] < 0.0 {
        return Err(Error::invalid(field, format!("{} is negative", range[0])));
    }
    Ok(())
}

/// Checks a range of scales: ordered, within `(0, 1]`.
fn check_scale(field: &str, range: [f32; 2]) -> Result<(), Error> {
    check_range(field, range)?;
    for s in range {
        if !(s > 0.0 && s <= 1.0) {
            return Err(Error::invalid(field, format!("{s} is outside (0, 1]")));
        }
    }
    Ok(())
}

impl Augment {
    /// No augmentation: every probability 0 (the ranges keep their defaults).
    pub fn none() -> Augment {
        let mut a = Augment::default();
        a.hflip.p = 0.0;
        a.zoom_out.p = 0.0;
        a.color.p = 0.0;
        a.downscale.p = 0.0;
        a.blur.p = 0.0;
        a.noise.p = 0.0;
        a.jpeg.p = 0.0;
        a
    }

    /// Checks every setting; the error names the first bad field by its path, e.g.
    /// `augment.jpeg.quality: min 90 > max 40`.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a probability outside `[0, 1]`, a range that is not finite or has
    /// min > max, a JPEG quality outside `1..=100`, a scale outside `(0, 1]`, or a negative sigma,
    /// contrast or saturation.
    pub fn validate(&self) -> Result<(), Error> {
        check_p("augment.hflip.p", self.hflip.p)?;
        check_p("augment.zoom_out.p", self.zoom_out.p)?;
        check_scale("augment.zoom_out.scale", self.zoom_out.scale)?;
        let c = &self.color;
        check_p("augment.color.p", c.p)?;
        check_range("augment.color.brightness", c.brightness)?;
        check_nonnegative("augment.color.contrast", c.contrast)?;
        check_nonnegative("augment.color.saturation", c.saturation)?;
        check_range("augment.color.hue", c.hue)?;
        check_p("augment.downscale.p", self.downscale.p)?;
        check_scale("augment.downscale.scale", self.downscale.scale)?;
        check_p("augment.blur.p", self.blur.p)?;
        check_nonnegative("augment.blur.sigma", self.blur.sigma)?;
        check_p("augment.noise.p", self.noise.p)?;
        check_nonnegative("augment.noise.sigma", self.noise.sigma)?;
        check_p("augment.jpeg.p", self.jpeg.p)?;
        let [qmin, qmax] = self.jpeg.quality;
        if qmin > qmax {
            return Err(Error::invalid(
                "augment.jpeg.quality",
                format!("min {qmin} > max {qmax}"),
            ));
        }
        for q in [qmin, qmax] {
            if !(1..=100).contains(&q) {
                return Err(Error::invalid(
                    "augment.jpeg.quality",
                    format!("{q} is outside 1..=100"),
                ));
            }
        }
        Ok(())
    }

    /// Applies the chain (see [`Augment`] for the order) to a copy of `img`.
    ///
    /// Draws from `rng` in a fixed pattern: one number per stage for its coin, whatever its
    /// probability, then that stage's parameters only when it applies (zoom-out: scale, x
    /// offset, y offset; colour: brightness, contrast, saturation, hue; noise: sigma, then the
    /// noise itself). So the same `rng` state gives the same bytes, and changing one stage's
    /// range does not shift the coins of the stages before it.
    ///
    /// # Errors
    /// [`Augment::validate`]'s, before anything is drawn, and a failing JPEG round trip (an
    /// image over 65 535 pixels a side).
    pub fn apply(&self, img: &RgbImage, rng: &mut impl Rng) -> Result<RgbImage, Error> {
        self.validate()?;
        let mut out = img.clone();
        if coin(rng, self.hflip.p) {
            out = hflip(&out);
        }
        if coin(rng, self.zoom_out.p) {
            let [lo, hi] = self.zoom_out.scale;
            let scale = uniform(rng, lo, hi);
            let offset = [uniform(rng, 0.0, 1.0), uniform(rng, 0.0, 1.0)];
            out = zoom_out(&out, scale, offset);
        }
        if coin(rng, self.color.p) {
            let c = &self.color;
            let brightness = uniform(rng, c.brightness[0], c.brightness[1]);
            let contrast = uniform(rng, c.contrast[0], c.contrast[1]);
            let saturation = uniform(rng, c.saturation[0], c.saturation[1]);
            let hue = uniform(rng, c.hue[0], c.hue[1]);
            out = adjust_brightness_contrast(&out, brightness, contrast);
            out = adjust_saturation(&out, saturation);
            out = shift_hue(&out, hue);
        }
        if coin(rng, self.downscale.p) {
            let [lo, hi] = self.downscale.scale;
            out = downscale_roundtrip(&out, uniform(rng, lo, hi));
        }
        if coin(rng, self.blur.p) {
            let [lo, hi] = self.blur.sigma;
            out = gaussian_blur(&out, uniform(rng, lo, hi));
        }
        if coin(rng, self.noise.p) {
            let [lo, hi] = self.noise.sigma;
            let sigma = uniform(rng, lo, hi);
            out = gaussian_noise(&out, sigma, rng);
        }
        if coin(rng, self.jpeg.p) {
            let [lo, hi] = self.jpeg.quality;
            out = jpeg_roundtrip(&out, rng.random_range(lo..=hi))?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample_rng;
    use image::Rgb;

    fn face_like(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            Rgb([
                (40 + x * 7 % 200) as u8,
                (90 + y * 5 % 150) as u8,
                ((x * y) % 256) as u8,
            ])
        })
    }

    /// Every stage always on.
    fn all_on() -> Augment {
        let mut a = Augment::default();
        a.hflip.p = 1.0;
        a.zoom_out.p = 1.0;
        a.color.p = 1.0;
        a.downscale.p = 1.0;
        a.blur.p = 1.0;
        a.noise.p = 1.0;
        a.jpeg.p = 1.0;
        a
    }

    #[test]
    fn defaults_are_valid_and_as_documented() {
        let a = Augment::default();
        a.validate().unwrap();
        assert_eq!(a.hflip.p, 0.5);
        assert_eq!((a.color.p, a.color.hue), (0.8, [-5.0, 5.0]));
        assert_eq!((a.jpeg.p, a.jpeg.quality), (0.5, [30, 100]));
        assert_eq!((a.zoom_out.p, a.zoom_out.scale), (0.0, [0.5, 1.0]));
        Augment::none().validate().unwrap();
        all_on().validate().unwrap();
    }

    #[test]
    fn none_is_the_identity() {
        let img = face_like(17, 9);
        for seed in 0..20 {
            let out = Augment::none()
                .apply(&img, &mut sample_rng(seed, &[]))
                .unwrap();
            assert_eq!(out, img);
        }
    }

    #[test]
    fn deterministic_per_seed() {
        let img = face_like(40, 30);
        let run = |a: &Augment, seed| a.apply(&img, &mut sample_rng(seed, &[1, 2])).unwrap();
        for a in [Augment::default(), all_on()] {
            assert_eq!(run(&a, 3), run(&a, 3));
        }
        assert_ne!(run(&all_on(), 3), run(&all_on(), 4));
        // Across 20 seeds the default chain changes the image most of the time.
        let changed = (0..20)
            .filter(|&s| run(&Augment::default(), s) != img)
            .count();
        assert!(changed >= 15, "{changed}");
    }

    #[test]
    fn hflip_only_flips() {
        let mut a = Augment::none();
        a.hflip.p = 1.0;
        let img = face_like(5, 3);
        assert_eq!(a.apply(&img, &mut sample_rng(0, &[])).unwrap(), hflip(&img));
    }

    #[test]
    fn never_panics_on_tiny_images() {
        let mut big_blur = all_on();
        big_blur.blur.sigma = [50.0, 900.0];
        big_blur.zoom_out.scale = [0.01, 0.02];
        big_blur.downscale.scale = [0.01, 0.02];
        big_blur.jpeg.quality = [1, 1];
        for (w, h) in [(1, 1), (1, 5), (5, 1), (1, 40), (2, 2), (0, 0), (0, 3)] {
            let img = face_like(w, h);
            for a in [Augment::default(), all_on(), big_blur.clone()] {
                for seed in 0..10 {
                    let out = a.apply(&img, &mut sample_rng(seed, &[w.into(), h.into()]));
                    assert_eq!(out.unwrap().dimensions(), (w, h));
                }
            }
        }
    }

    #[test]
    fn validate_names_the_field() {
        let check = |f: &dyn Fn(&mut Augment), msg: &str| {
            let mut a = Augment::default();
            f(&mut a);
            assert_eq!(a.validate().unwrap_err().to_string(), msg);
            // apply refuses it too, before drawing anything.
            assert!(
                a.apply(&RgbImage::new(2, 2), &mut sample_rng(0, &[]))
                    .is_err()
            );
        };
        check(
            &|a| a.jpeg.quality = [90, 40],
            "augment.jpeg.quality: min 90 > max 40",
        );
        check(
            &|a| a.jpeg.quality = [0, 40],
            "augment.jpeg.quality: 0 is outside 1..=100",
        );
        check(
            &|a| a.jpeg.quality = [90, 101],
            "augment.jpeg.quality: 101 is outside 1..=100",
        );
        check(
            &|a| a.hflip.p = 1.5,
            "augment.hflip.p: 1.5 is outside [0, 1]",
        );
        check(
            &|a| a.noise.p = f32::NAN,
            "augment.noise.p: NaN is outside [0, 1]",
        );
        check(
            &|a| a.color.p = -0.1,
            "augment.color.p: -0.1 is outside [0, 1]",
        );
        check(
            &|a| a.blur.sigma = [-1.0, 2.0],
            "augment.blur.sigma: -1 is negative",
        );
        check(
            &|a| a.noise.sigma = [3.0, 2.0],
            "augment.noise.sigma: min 3 > max 2",
        );
        check(
            &|a| a.downscale.scale = [0.0, 1.0],
            "augment.downscale.scale: 0 is outside (0, 1]",
        );
        check(
            &|a| a.zoom_out.scale = [0.5, 1.2],
            "augment.zoom_out.scale: 1.2 is outside (0, 1]",
        );
        check(
            &|a| a.color.brightness = [f32::NEG_INFINITY, 0.0],
            "augment.color.brightness: [-inf, 0] is not finite",
        );
        check(
            &|a| a.color.contrast = [-0.5, 1.0],
            "augment.color.contrast: -0.5 is negative",
        );
        check(
            &|a| a.color.hue = [5.0, -5.0],
            "augment.color.hue: min 5 > max -5",
        );
    }

    #[test]
    fn serde_defaults_and_unknown_fields() {
        let a: Augment = serde_json::from_str(r#"{"jpeg": {"p": 0.9}}"#).unwrap();
        let mut expected = Augment::default();
        expected.jpeg.p = 0.9;
        assert_eq!(a, expected);
        let empty: Augment = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, Augment::default());
        let back: Augment =
            serde_json::from_str(&serde_json::to_string(&all_on()).unwrap()).unwrap();
        assert_eq!(back, all_on());
        let err = serde_json::from_str::<Augment>(r#"{"jpeg": {"qualty": [1, 2]}}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `qualty`"), "{err}");
        assert!(serde_json::from_str::<Augment>(r#"{"sharpen": {}}"#).is_err());
    }
}

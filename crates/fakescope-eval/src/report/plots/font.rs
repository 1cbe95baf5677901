//! The font plot text is measured with: Noto Sans Regular, compiled in from `ttf-noto-sans`.
//!
//! plotters' SVG backend writes text as `<text font-family="sans-serif" font-size="…">` and the
//! viewer draws it with its own face; plotters only needs a font to *measure* text for layout.
//! Its default font backend asks the operating system (font-kit), which fails where no fonts are
//! installed, so plotters is built with its `ab_glyph` backend and this font is registered as
//! `sans-serif` before anything is drawn: no system font is ever looked up.
//!
//! plotters' own measure scales a glyph by the font's line height, which for Noto Sans is about
//! 1.36 em, so it reports text some 10 % narrower than a browser draws it at the same
//! `font-size`. That is harmless for axis labels (their areas are fixed) but makes legend text
//! overflow its box, so legends are sized with [`text_width`], which scales by the em.

use std::sync::{Once, OnceLock};

use ab_glyph::{Font, FontRef};
use plotters::style::{FontStyle, register_font};

/// The font family name every plot uses; the embedded font is registered under it.
pub(super) const FAMILY: &str = "sans-serif";

/// plotters writes a text of size `s` as `font-size = s / 1.24` in SVG.
const SVG_SIZE_RATIO: f64 = 1.24;

/// Viewers without Noto Sans draw with another sans-serif face, up to this much wider
/// (DejaVu Sans, Verdana); widths are padded by it.
const OTHER_FACES: f64 = 1.12;

/// Registers the embedded font with plotters (once per process).
pub(super) fn register() {
    static REGISTERED: Once = Once::new();
    REGISTERED.call_once(|| {
        // Cannot fail for this font; if it did, drawing text reports FontUnavailable.
        let _ = register_font(FAMILY, FontStyle::Normal, ttf_noto_sans::REGULAR);
    });
}

/// The embedded font, parsed once.
fn font() -> Option<&'static FontRef<'static>> {
    static FONT: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice(ttf_noto_sans::REGULAR).ok())
        .as_ref()
}

/// Width in pixels of `text` drawn at plotters text size `size`, as a browser draws it (with
/// the margin for wider faces). Characters the font lacks count as 0.6 em.
pub(super) fn text_width(text: &str, size: f64) -> f64 {
    let em_px = size / SVG_SIZE_RATIO;
    let ems: f64 = match font() {
        Some(font) => {
            let per_em = f64::from(font.units_per_em().unwrap_or(1000.0));
            let mut units = 0.0f64;
            let mut prev = None;
            for c in text.chars() {
                let id = font.glyph_id(c);
                units += if id.0 == 0 {
                    0.6 * per_em
                } else {
                    f64::from(font.h_advance_unscaled(id))
                };
                if let Some(p) = prev {
                    units += f64::from(font.kern_unscaled(p, id));
                }
                prev = Some(id);
            }
            units / per_em
        }
        None => 0.6 * text.chars().count() as f64,
    };
    ems * em_px * OTHER_FACES
}

#[cfg(test)]
mod tests {
    use super::text_width;

    #[test]
    fn widths_scale_with_size_and_length() {
        let w = text_width("ROC (AUC = 0.9123)", 13.0);
        // Noto Sans averages a little over half an em per character here.
        let em = 13.0 / 1.24;
        assert!(w > 18.0 * 0.45 * em && w < 18.0 * 0.7 * em, "{w}");
        assert!((text_width("ROC (AUC = 0.9123)", 26.0) - 2.0 * w).abs() < 1e-9);
        assert_eq!(text_width("", 13.0), 0.0);
        assert!(text_width("WWW", 13.0) > text_width("iii", 13.0));
    }
}

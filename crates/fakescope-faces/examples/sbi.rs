//! Makes one Self-Blended Image from a face photo and its five landmarks, to look at.
//!
//! ```text
//! cargo run -p fakescope-faces --example sbi -- FACE.jpg \
//!     LEX LEY REX REY NOSEX NOSEY LMX LMY RMX RMY [OUT_PREFIX] [SEED]
//! ```
//!
//! Landmarks are in pixels, in MTCNN's order (left eye, right eye, nose, left and right mouth
//! corner). Writes `OUT_PREFIX_blend.png` (the fake) and `OUT_PREFIX_mask.png` (the mask as
//! grey levels); `OUT_PREFIX` defaults to `sbi`, `SEED` to 0.

use std::process::ExitCode;

use fakescope_faces::{SbiConfig, self_blend};
use fakescope_perturb::image::{self, GrayImage, Luma};
use fakescope_perturb::sample_rng;

fn run(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    if args.len() < 11 || args.len() > 13 {
        return Err(
            "usage: sbi FACE.jpg LEX LEY REX REY NOSEX NOSEY LMX LMY RMX RMY \
                    [OUT_PREFIX] [SEED]"
                .into(),
        );
    }
    let img = image::open(&args[0])
        .map_err(|e| format!("{}: {e}", args[0]))?
        .into_rgb8();
    let mut numbers = [0.0f32; 10];
    for (n, arg) in numbers.iter_mut().zip(&args[1..11]) {
        *n = arg
            .parse()
            .map_err(|e| format!("landmark value {arg:?}: {e}"))?;
    }
    let landmarks: [[f32; 2]; 5] = std::array::from_fn(|i| [numbers[2 * i], numbers[2 * i + 1]]);
    let prefix = args.get(11).map_or("sbi", String::as_str);
    let seed: u64 = match args.get(12) {
        Some(s) => s.parse().map_err(|e| format!("seed {s:?}: {e}"))?,
        None => 0,
    };

    let (blend, mask) = self_blend(
        &img,
        &landmarks,
        &SbiConfig::default(),
        &mut sample_rng(seed, &[]),
    )?;
    let (w, h) = blend.dimensions();
    let grey = GrayImage::from_fn(w, h, |x, y| {
        Luma([(mask[(y * w + x) as usize] * 255.0).round() as u8])
    });
    let blend_path = format!("{prefix}_blend.png");
    let mask_path = format!("{prefix}_mask.png");
    blend.save(&blend_path)?;
    grey.save(&mask_path)?;
    let peak = mask.iter().copied().fold(0.0f32, f32::max);
    println!("{blend_path}\n{mask_path}\nblend ratio {peak}");
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

//! Times [`fakescope_faces::Mtcnn::detect`] on one raw RGB8 frame (e.g. made with
//! `ffmpeg -i frame.png -f rawvideo -pix_fmt rgb24 frame.rgb`).
//!
//! `cargo run --release -p fakescope-faces --example mtcnn_time -- MODELS/mtcnn frame.rgb 1920 1080`

use std::path::Path;
use std::time::Instant;

use fakescope_faces::{Mtcnn, RgbImage};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, models, frame, width, height] = args.as_slice() else {
        return Err("usage: mtcnn_time MODELS_DIR FRAME.rgb WIDTH HEIGHT".into());
    };
    let detector = Mtcnn::load(Path::new(models))?;
    let pixels = std::fs::read(frame)?;
    let image = RgbImage::new(width.parse()?, height.parse()?, &pixels)?;
    let faces = detector.detect(&image)?;
    let runs = 5;
    let start = Instant::now();
    for _ in 0..runs {
        detector.detect(&image)?;
    }
    let per_frame = start.elapsed().as_secs_f64() / f64::from(runs);
    for face in &faces {
        println!("{:?} p={:.5}", face.bbox, face.probability);
    }
    println!("{} faces, {:.1} ms per frame", faces.len(), per_frame * 1e3);
    Ok(())
}

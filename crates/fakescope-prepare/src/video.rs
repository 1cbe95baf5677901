//! Preparing one video: sample, find the largest face, crop it, save crop and landmarks.

use std::path::{Path, PathBuf};

use fakescope_faces::{CropMethod, Face, Mtcnn, RgbImage, crop_face};
use fakescope_media::{Sampling, VideoLimits, VideoReader};
use image::ImageEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};

use crate::error::Error;
use crate::layout::VideoJob;
use crate::npy::f32_npy;

/// How to prepare a video.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Frames sampled per video (DeepfakeBench's `num_frames`, 32 by default).
    pub frames: usize,
    /// Limits checked before decoding.
    pub limits: VideoLimits,
    /// The crop (DeepfakeBench: aligned, 256x256, margin 1.3).
    pub crop: CropMethod,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            frames: 32,
            limits: VideoLimits::default(),
            crop: CropMethod::DEEPFAKEBENCH,
        }
    }
}

/// What preparing a video gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// The crops written (or found, when skipped), in frame order.
    pub frames: Vec<PathBuf>,
    /// Frames decoded and searched for a face (0 when skipped).
    pub decoded: usize,
    /// Decoded frames in which no face was found (no crop written, as in DeepfakeBench).
    pub without_face: usize,
    /// True when the video was already complete and left alone.
    pub skipped: bool,
}

/// The crops of a video already complete (its marker exists), or `None`.
pub fn completed(job: &VideoJob) -> Result<Option<Vec<PathBuf>>, Error> {
    if !job.marker().is_file() {
        return Ok(None);
    }
    list_pngs(&job.frames_dir()).map(Some)
}

fn list_pngs(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    let read = match std::fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(Error::io(dir)(e)),
    };
    for entry in read {
        let path = entry.map_err(Error::io(dir))?.path();
        if path.extension().is_some_and(|e| e == "png") {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// The face DeepfakeBench keeps: the largest box.
fn largest(faces: &[Face]) -> Option<&Face> {
    faces
        .iter()
        .max_by(|a, b| (a.width() * a.height()).total_cmp(&(b.width() * b.height())))
}

/// Writes RGB8 `pixels` as a PNG, with fast compression (crops are training material that is
/// read many times and written once; the default level costs more than the face detection).
fn write_png(path: &Path, size: usize, pixels: &[u8]) -> Result<(), Error> {
    let png_err = |source| Error::Png {
        path: path.to_owned(),
        source: Box::new(source),
    };
    let mut bytes = Vec::new();
    PngEncoder::new_with_quality(&mut bytes, CompressionType::Fast, FilterType::Adaptive)
        .write_image(
            pixels,
            size as u32,
            size as u32,
            image::ExtendedColorType::Rgb8,
        )
        .map_err(png_err)?;
    std::fs::write(path, bytes).map_err(Error::io(path))
}

/// Prepares `job` unless it is already complete: decodes the sampled frames, crops the largest
/// face of each, writes `frames/<name>/<index:03>.png` and `landmarks/<name>/<index:03>.npy`
/// (the five MTCNN landmarks mapped into the crop, `(5, 2)` float32), then the marker.
/// Leftovers of an interrupted run are removed first.
pub fn prepare_video(mtcnn: &Mtcnn, job: &VideoJob, options: &Options) -> Result<Prepared, Error> {
    if let Some(frames) = completed(job)? {
        return Ok(Prepared {
            frames,
            decoded: 0,
            without_face: 0,
            skipped: true,
        });
    }
    let media = |source| Error::Media {
        path: job.source.clone(),
        source: Box::new(source),
    };
    let reader = VideoReader::open(&job.source, &options.limits).map_err(media)?;
    let wanted = reader.sample_indices(Sampling::Count(options.frames));
    let (frames_dir, landmarks_dir) = (job.frames_dir(), job.landmarks_dir());
    for dir in [&frames_dir, &landmarks_dir] {
        match std::fs::remove_dir_all(dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(dir)(e)),
        }
        std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    }
    let mut out = Prepared {
        frames: Vec::new(),
        decoded: 0,
        without_face: 0,
        skipped: false,
    };
    for frame in reader.frames(&wanted).map_err(media)? {
        let frame = frame.map_err(media)?;
        let faces_err = |source| Error::Faces {
            path: job.source.clone(),
            frame: frame.index,
            source: Box::new(source),
        };
        let image = RgbImage::new(frame.width as usize, frame.height as usize, &frame.rgb)
            .map_err(faces_err)?;
        out.decoded += 1;
        let faces = mtcnn.detect(&image).map_err(faces_err)?;
        let crop = match largest(&faces) {
            Some(face) => crop_face(&image, face, options.crop)
                .map_err(faces_err)?
                .map(|c| (face, c)),
            None => None,
        };
        let Some((face, crop)) = crop else {
            out.without_face += 1;
            continue;
        };
        let m = crop.transform;
        let points: Vec<f32> = face
            .landmarks
            .iter()
            .flat_map(|&[x, y]| {
                let (x, y) = (f64::from(x), f64::from(y));
                [
                    (m[0][0] * x + m[0][1] * y + m[0][2]) as f32,
                    (m[1][0] * x + m[1][1] * y + m[1][2]) as f32,
                ]
            })
            .collect();
        let png = job.frame_png(frame.index);
        write_png(&png, crop.size, &crop.pixels)?;
        let npy = job.landmarks_npy(frame.index);
        std::fs::write(&npy, f32_npy(&[5, 2], &points)).map_err(Error::io(&npy))?;
        out.frames.push(png);
    }
    let marker = job.marker();
    let note = format!(
        "{{\"source\": {}, \"frames\": {}, \"decoded\": {}}}\n",
        serde_json::Value::from(job.source.to_string_lossy()),
        out.frames.len(),
        out.decoded
    );
    std::fs::write(&marker, note).map_err(Error::io(&marker))?;
    Ok(out)
}

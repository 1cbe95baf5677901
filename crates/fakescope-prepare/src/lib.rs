//! DeepfakeBench-compatible preprocessing, the library behind `fakescope prepare`.
//!
//! DeepfakeBench (its `preprocessing/preprocess.py` and `rearrange.py`) turns a folder of videos
//! into training material in three steps, all reproduced here:
//!
//! 1. **Sampling** — `--frames N` frames per video at `linspace(0, frame_count - 1, N)`
//!    (done by [`fakescope_media::VideoReader::sample_indices`]).
//! 2. **Cropping** — in each sampled frame the *largest* face (by box area, as DeepfakeBench
//!    keeps one face per frame) is aligned on its landmarks into a 256x256 crop with margin
//!    1.3, saved as `frames/<video>/<frame index:03>.png`, and its landmarks, in crop
//!    coordinates, as `landmarks/<video>/<frame index:03>.npy` (see [`video`]). Frames
//!    without a face are skipped, as in DeepfakeBench.
//! 3. **Rearranging** — one JSON file describing the dataset:
//!    `dataset → label → split → video → {label, frames}` (see [`dataset`]).
//!
//! Where the files go is [`layout`]; the `.npy` writer is [`npy`].
//!
//! One difference is documented rather than hidden: DeepfakeBench finds faces with dlib and
//! saves 81 (or 68) landmarks; fakescope uses MTCNN and saves its 5 (eyes, nose, mouth
//! corners) as a `(5, 2)` float32 array.

#![deny(missing_docs)]

pub mod dataset;
mod error;
pub mod layout;
pub mod npy;
pub mod video;

pub use crate::error::Error;

//! The registry: every known detector by name, and one constructor `match`.

use std::path::Path;

use burn::tensor::Device;

use crate::aasist::{Aasist, Config};
use crate::mesonet::{MesoNet, Variant};
use crate::{AudioDetector, Error, FaceDetector};

/// The audio detectors fakescope knows, by registry name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AudioDetectorName {
    /// `aasist`: AASIST trained on ASVspoof 2019 LA (clovaai/aasist `AASIST.pth`).
    Aasist,
    /// `aasist-l`: the light AASIST (clovaai/aasist `AASIST-L.pth`).
    AasistL,
    /// `aasist-asvspoof5`: the ASVspoof 5 challenge baseline AASIST (`best.pth`).
    AasistAsvspoof5,
}

impl AudioDetectorName {
    /// Every known audio detector, in a stable order.
    pub const ALL: [AudioDetectorName; 3] = [
        AudioDetectorName::Aasist,
        AudioDetectorName::AasistL,
        AudioDetectorName::AasistAsvspoof5,
    ];

    /// The registry name (`aasist`, `aasist-l`, `aasist-asvspoof5`).
    pub fn as_str(self) -> &'static str {
        match self {
            AudioDetectorName::Aasist => "aasist",
            AudioDetectorName::AasistL => "aasist-l",
            AudioDetectorName::AasistAsvspoof5 => "aasist-asvspoof5",
        }
    }

    /// The detector called `name`, if any.
    pub fn from_name(name: &str) -> Option<AudioDetectorName> {
        AudioDetectorName::ALL
            .into_iter()
            .find(|known| known.as_str() == name)
    }

    /// Builds the detector from its weight file on `device`.
    pub fn load(self, weights: &Path, device: &Device) -> Result<Box<dyn AudioDetector>, Error> {
        let config = match self {
            AudioDetectorName::Aasist => Config::aasist(),
            AudioDetectorName::AasistL => Config::aasist_l(),
            AudioDetectorName::AasistAsvspoof5 => Config::aasist_asvspoof5(),
        };
        Ok(Box::new(Aasist::load(
            self.as_str(),
            config,
            weights,
            device,
        )?))
    }
}

impl std::fmt::Display for AudioDetectorName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The registry names of every audio detector.
pub fn audio_detector_names() -> impl Iterator<Item = &'static str> {
    AudioDetectorName::ALL
        .into_iter()
        .map(AudioDetectorName::as_str)
}

/// Builds the audio detector called `name` from the weight file at `weights`, on `device`.
pub fn load_audio_detector(
    name: &str,
    weights: &Path,
    device: &Device,
) -> Result<Box<dyn AudioDetector>, Error> {
    let known = AudioDetectorName::from_name(name).ok_or_else(|| Error::UnknownDetector {
        name: name.to_owned(),
        known: audio_detector_names().collect::<Vec<_>>().join(", "),
    })?;
    known.load(weights, device)
}

/// The face-forgery detectors fakescope knows, by registry name (MesoNet's published weights).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaceDetectorName {
    /// `meso4-df`: Meso-4 trained on the MesoNet Deepfake set (`Meso4_DF.h5`).
    Meso4Df,
    /// `meso4-f2f`: Meso-4 trained on Face2Face (`Meso4_F2F.h5`).
    Meso4F2f,
    /// `mesoinception4-df`: MesoInception-4, Deepfake set (`MesoInception_DF.h5`).
    MesoInception4Df,
    /// `mesoinception4-f2f`: MesoInception-4, Face2Face (`MesoInception_F2F.h5`).
    MesoInception4F2f,
}

impl FaceDetectorName {
    /// Every known face detector, in a stable order.
    pub const ALL: [FaceDetectorName; 4] = [
        FaceDetectorName::Meso4Df,
        FaceDetectorName::Meso4F2f,
        FaceDetectorName::MesoInception4Df,
        FaceDetectorName::MesoInception4F2f,
    ];

    /// The registry name (`meso4-df`, `meso4-f2f`, `mesoinception4-df`, `mesoinception4-f2f`).
    pub fn as_str(self) -> &'static str {
        match self {
            FaceDetectorName::Meso4Df => "meso4-df",
            FaceDetectorName::Meso4F2f => "meso4-f2f",
            FaceDetectorName::MesoInception4Df => "mesoinception4-df",
            FaceDetectorName::MesoInception4F2f => "mesoinception4-f2f",
        }
    }

    /// The detector called `name`, if any.
    pub fn from_name(name: &str) -> Option<FaceDetectorName> {
        FaceDetectorName::ALL
            .into_iter()
            .find(|known| known.as_str() == name)
    }

    /// Builds the detector from its Keras `.h5` weight file (`device` is accepted for symmetry:
    /// MesoNet runs on its own CPU kernels).
    pub fn load(self, weights: &Path, device: &Device) -> Result<Box<dyn FaceDetector>, Error> {
        let variant = match self {
            FaceDetectorName::Meso4Df | FaceDetectorName::Meso4F2f => Variant::Meso4,
            FaceDetectorName::MesoInception4Df | FaceDetectorName::MesoInception4F2f => {
                Variant::MesoInception4
            }
        };
        Ok(Box::new(MesoNet::load(
            self.as_str(),
            variant,
            weights,
            device,
        )?))
    }
}

impl std::fmt::Display for FaceDetectorName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The registry names of every face detector.
pub fn face_detector_names() -> impl Iterator<Item = &'static str> {
    FaceDetectorName::ALL
        .into_iter()
        .map(FaceDetectorName::as_str)
}

/// Builds the face detector called `name` from the weight file at `weights`, on `device`.
pub fn load_face_detector(
    name: &str,
    weights: &Path,
    device: &Device,
) -> Result<Box<dyn FaceDetector>, Error> {
    let known = FaceDetectorName::from_name(name).ok_or_else(|| Error::UnknownDetector {
        name: name.to_owned(),
        known: face_detector_names().collect::<Vec<_>>().join(", "),
    })?;
    known.load(weights, device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in audio_detector_names() {
            assert_eq!(AudioDetectorName::from_name(name).unwrap().as_str(), name);
        }
        assert_eq!(AudioDetectorName::from_name("rawnet2"), None);
        for name in face_detector_names() {
            assert_eq!(FaceDetectorName::from_name(name).unwrap().as_str(), name);
        }
        assert_eq!(FaceDetectorName::from_name("xception"), None);
    }

    #[test]
    fn unknown_name_lists_the_known_ones() {
        let err = load_audio_detector("rawnet2", Path::new("x.pth"), &Device::flex())
            .err()
            .unwrap()
            .to_string();
        assert_eq!(
            err,
            "unknown audio detector `rawnet2` (known: aasist, aasist-l, aasist-asvspoof5)"
        );
    }
}

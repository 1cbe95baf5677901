//! ASVspoof protocol and key files: the labelled lists of the ASVspoof challenges, as sets.
//!
//! The files have no header; their layout is told by the number of fields and where the key
//! word (`bonafide`, `spoof`) is, on the first line:
//!
//! | layout | fields |
//! |---|---|
//! | ASVspoof 2019 protocol (LA, PA) | `SPEAKER FILE ENV ATTACK KEY` |
//! | ASVspoof 2021 key (LA, DF) | `SPEAKER FILE CODEC TRANSMISSION ATTACK KEY TRIM SUBSET …` |
//! | ASVspoof 5 protocol | `SPEAKER FILE GENDER CODEC CODEC_Q CODEC_SEED ATTACK_TAG ATTACK KEY TMP` |
//!
//! [`protocol_layout`] names the columns (`fakescope eval` reads key files with it too);
//! [`read_asvspoof`] makes a [`Dataset`]: `FILE` is found in the audio folder as `FILE.flac`
//! (or `.wav`), the key is the label (spoof = fake), the speaker is the sample's group and the
//! attack its generator.

use std::path::{Path, PathBuf};

use crate::{Dataset, Error, Label, Location, OpenOptions, Result, Sample};

/// A known headerless layout: its column names and what it is, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtocolLayout {
    /// Column names, in order.
    pub columns: &'static [&'static str],
    /// `ASVspoof 2019 protocol`, …
    pub what: &'static str,
}

/// Whether a field is an ASVspoof key word (`bonafide`, `bona-fide`, `bona_fide`, `spoof`).
pub fn is_key_word(text: &str) -> bool {
    let t = text.trim_ascii();
    ["spoof", "bonafide", "bona-fide", "bona_fide"]
        .iter()
        .any(|w| w.eq_ignore_ascii_case(t))
}

/// The layout of a protocol or key file whose first line has these fields, if it is one of
/// the ASVspoof layouts above.
pub fn protocol_layout<S: AsRef<str>>(fields: &[S]) -> Option<ProtocolLayout> {
    let key = |i: usize| fields.get(i).is_some_and(|f| is_key_word(f.as_ref()));
    let n = fields.len();
    Some(if n == 5 && key(4) {
        ProtocolLayout {
            columns: &["speaker", "filename", "env", "attack", "key"],
            what: "ASVspoof 2019 protocol",
        }
    } else if n >= 8 && key(5) {
        ProtocolLayout {
            columns: &[
                "speaker",
                "filename",
                "codec",
                "transmission",
                "attack",
                "key",
                "trim",
                "subset",
            ],
            what: "ASVspoof 2021 key",
        }
    } else if n == 10 && key(8) {
        ProtocolLayout {
            columns: &[
                "speaker",
                "filename",
                "gender",
                "codec",
                "codec_q",
                "codec_seed",
                "attack_tag",
                "attack",
                "key",
                "tmp",
            ],
            what: "ASVspoof 5 protocol",
        }
    } else {
        return None;
    })
}

/// The audio folder of a protocol when none is given: `flac/` beside it when that exists
/// (the layout of the challenge archives after unpacking), else the protocol's own folder.
pub fn default_audio_dir(protocol: &Path) -> PathBuf {
    let dir = protocol.parent().unwrap_or(Path::new("."));
    let flac = dir.join("flac");
    if flac.is_dir() { flac } else { dir.to_owned() }
}

/// Reads an ASVspoof protocol or key file as a set. `audio_dir` holds the recordings
/// (default: [`default_audio_dir`]); each `FILE` is `FILE.flac`, else `FILE.wav`, else `FILE`
/// as written when it has an extension of its own.
pub fn read_asvspoof(
    protocol: impl AsRef<Path>,
    audio_dir: Option<&Path>,
    options: &OpenOptions,
) -> Result<Dataset> {
    let path = protocol.as_ref();
    let text = std::fs::read_to_string(path).map_err(Error::io(path))?;
    let audio = audio_dir.map_or_else(|| default_audio_dir(path), Path::to_owned);
    let mut layout: Option<(ProtocolLayout, usize)> = None;
    let mut samples = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let at = Location::Line(i as u64 + 1);
        let fields: Vec<&str> = line.split_ascii_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        let (l, n) = match layout {
            Some(l) => l,
            None => {
                let found = protocol_layout(&fields).ok_or_else(|| {
                    Error::record(
                        path,
                        at.clone(),
                        format!(
                            "not an ASVspoof protocol or key: {} fields and no `bonafide`/`spoof` where the 2019, 2021 or ASVspoof 5 layouts have it",
                            fields.len()
                        ),
                    )
                })?;
                *layout.insert((found, fields.len()))
            }
        };
        if fields.len() != n {
            return Err(Error::record(
                path,
                at,
                format!(
                    "{} fields where the first line of this {} has {n}",
                    fields.len(),
                    l.what
                ),
            ));
        }
        let column = |name: &str| l.columns.iter().position(|c| *c == name).map(|i| fields[i]);
        let key = column("key").unwrap_or("");
        let label = if key.eq_ignore_ascii_case("spoof") {
            Label::Fake
        } else if is_key_word(key) {
            Label::Real
        } else {
            return Err(Error::record(
                path,
                at,
                format!("`{key}` is not a key (bonafide or spoof)"),
            ));
        };
        let file = column("filename").unwrap_or("");
        let mut sample = Sample::new(audio_file(&audio, file), label);
        sample.group = column("speaker").map(str::to_owned);
        sample.generator = column("attack")
            .filter(|a| label == Label::Fake && *a != "-")
            .map(str::to_owned);
        samples.push(sample);
    }
    if samples.is_empty() {
        return Err(Error::invalid(path, "the protocol lists no files"));
    }
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "asvspoof".into());
    let dataset = Dataset {
        name,
        samples,
        origin: path.to_owned(),
    };
    if options.check_files {
        dataset.check_files()?;
    }
    Ok(dataset)
}

/// `FILE` in `dir`: `FILE.flac`, `FILE.wav`, or as written when it has an extension.
fn audio_file(dir: &Path, file: &str) -> PathBuf {
    let plain = dir.join(file);
    if Path::new(file).extension().is_some() && plain.is_file() {
        return plain;
    }
    for ext in ["flac", "wav"] {
        let p = dir.join(format!("{file}.{ext}"));
        if p.is_file() {
            return p;
        }
    }
    dir.join(format!("{file}.flac"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_layouts_become_sets() {
        let dir = tempfile::tempdir().unwrap();
        let flac = dir.path().join("flac");
        std::fs::create_dir(&flac).unwrap();
        std::fs::write(flac.join("LA_E_1.flac"), b"").unwrap();
        std::fs::write(flac.join("LA_E_2.wav"), b"").unwrap();
        let p19 = dir.path().join("ASVspoof2019.LA.cm.eval.trl.txt");
        std::fs::write(
            &p19,
            "LA_0039 LA_E_1 - A11 spoof\nLA_0014 LA_E_2 - - bonafide\n\n",
        )
        .unwrap();
        let ds = read_asvspoof(&p19, None, &OpenOptions { check_files: true }).unwrap();
        assert_eq!(ds.samples.len(), 2);
        assert_eq!(ds.samples[0].path, flac.join("LA_E_1.flac"));
        assert_eq!(ds.samples[0].label, Label::Fake);
        assert_eq!(ds.samples[0].generator.as_deref(), Some("A11"));
        assert_eq!(ds.samples[1].path, flac.join("LA_E_2.wav"));
        assert_eq!(
            (ds.samples[1].label, ds.samples[1].group.as_deref()),
            (Label::Real, Some("LA_0014"))
        );
        assert_eq!(ds.samples[1].generator, None);

        let p5 = dir.path().join("ASVspoof5.eval.tsv");
        std::fs::write(
            &p5,
            "E_0001 E_000001 F - - - AC1 A17 spoof -\nE_0002 E_000002 M - - - - bonafide bonafide -\n",
        )
        .unwrap();
        let ds = read_asvspoof(&p5, Some(dir.path()), &OpenOptions::default()).unwrap();
        assert_eq!(ds.samples[0].generator.as_deref(), Some("A17"));
        assert_eq!(ds.samples[1].label, Label::Real);
        assert_eq!(ds.samples[1].path, dir.path().join("E_000002.flac"));

        let p21 = dir.path().join("trial_metadata.txt");
        std::fs::write(
            &p21,
            "LA_0009 DF_E_2000011 nocodec asvspoof A07 spoof notrim progress traditional_vocoder\n",
        )
        .unwrap();
        let ds = read_asvspoof(&p21, Some(dir.path()), &OpenOptions::default()).unwrap();
        assert_eq!(ds.samples[0].generator.as_deref(), Some("A07"));
    }

    #[test]
    fn bad_protocols_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.txt");
        std::fs::write(&p, "a b c\n").unwrap();
        let e = read_asvspoof(&p, None, &OpenOptions::default()).unwrap_err();
        assert!(
            e.to_string().contains("line 1: not an ASVspoof protocol"),
            "{e}"
        );
        std::fs::write(&p, "S F - A11 spoof\nS G - A11\n").unwrap();
        let e = read_asvspoof(&p, None, &OpenOptions::default()).unwrap_err();
        assert!(e.to_string().contains("line 2: 4 fields where"), "{e}");
        std::fs::write(&p, "S F - A11 spoof\nS G - A11 maybe\n").unwrap();
        // `maybe` is no key word, so the line is not of the layout.
        let e = read_asvspoof(&p, None, &OpenOptions::default()).unwrap_err();
        assert!(
            e.to_string().contains("line 2: `maybe` is not a key"),
            "{e}"
        );
        std::fs::write(&p, "S F - A11 spoof\n").unwrap();
        let e = read_asvspoof(&p, None, &OpenOptions { check_files: true }).unwrap_err();
        assert!(e.to_string().contains("do not exist"), "{e}");
    }
}

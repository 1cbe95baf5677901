//! Reading temporal localization inputs: a dataset's metadata (which spans of each video are
//! fake) and a system's predictions (scored spans per video), in the AV-Deepfake1M and LAV-DF
//! formats that `fakescope_metrics::localization::evaluate` scores.
//!
//! - **Metadata** is a JSON list with one object per video, as AV-Deepfake1M's
//!   `val_metadata.json` (`{"file": "…mp4", "fake_segments": [[start, end], …], …}`) and
//!   LAV-DF's `metadata.json` (`{"file": …, "fake_periods": [[start, end], …], …}`), times in
//!   seconds. Only the video key and the segments are read; every other field is skipped
//!   without being stored.
//! - **Predictions** are a JSON object mapping each video key to its proposals,
//!   `{"…mp4": [[score, start, end], …], …}`, the file the AV-Deepfake1M evaluator reads.
//!   Start and end are in the unit the evaluation parameters' `fps` divides (seconds for
//!   AV-Deepfake1M, frames for LAV-DF). Lists are kept in file order: AR keeps the first `n`
//!   proposals of each, so they should be sorted by score, highest first (a warning says when
//!   they are not).
//!
//! Both files are parsed as they are read (never held whole in memory). Numbers are read to the
//! nearest `f64` (the workspace enables serde_json's `float_roundtrip`; its default parser can be
//! an ulp off, enough to round the evaluator's `f32` the other way). Every error names the file,
//! and the line and column with the video it concerns where the problem is in one entry.
//! The reader is stricter than the AV-Deepfake1M evaluator, which panics or silently goes on
//! where these return an error:
//!
//! | input | evaluator | here |
//! |---|---|---|
//! | malformed JSON, NaN, a missing field, a segment or proposal of the wrong length | panics | error |
//! | `start > end` | scores it as is | error |
//! | a video listed twice (either file) | counts it twice / keeps the last | error |
//! | a metadata video without predictions | panics | error, or no proposals with [`LocalizationReadOptions::missing_as_empty`] |
//! | an empty proposal list `[]` | panics | its segments count as missed |
//! | predictions for a video not in the metadata | ignored | error, or ignored with [`LocalizationReadOptions::ignore_unknown`] |

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use fakescope_metrics::localization::{Predictions, Proposal, Segment, VideoTruth};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::InputError;

/// Field that names a video in both datasets' metadata (the evaluator's `file_key`).
pub const FILE_KEY: &str = "file";
/// Field with a video's fake segments in AV-Deepfake1M metadata.
pub const AV_DEEPFAKE1M_SEGMENTS_KEY: &str = "fake_segments";
/// Field with a video's fake segments in LAV-DF metadata.
pub const LAV_DF_SEGMENTS_KEY: &str = "fake_periods";

/// How to read a metadata file and a predictions file together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalizationReadOptions {
    /// Metadata field naming each video, matched against the predictions' keys (default
    /// [`FILE_KEY`]).
    pub file_key: String,
    /// Metadata field with the fake segments (the evaluator's `value_key`), e.g.
    /// `visual_fake_segments`. `None`: [`AV_DEEPFAKE1M_SEGMENTS_KEY`] where an entry has it,
    /// else [`LAV_DF_SEGMENTS_KEY`].
    pub segments_key: Option<String>,
    /// A metadata video with no entry in the predictions counts as having no proposals (its
    /// segments are missed) instead of being an error.
    pub missing_as_empty: bool,
    /// Predictions for videos that are not in the metadata are dropped (as the evaluator does)
    /// instead of being an error.
    pub ignore_unknown: bool,
}

impl Default for LocalizationReadOptions {
    fn default() -> Self {
        Self {
            file_key: FILE_KEY.to_owned(),
            segments_key: None,
            missing_as_empty: false,
            ignore_unknown: false,
        }
    }
}

/// Ground truth and predictions, checked against each other and ready for `evaluate`.
#[derive(Debug, Clone)]
pub struct LocalizationInput {
    /// The metadata and predictions files read.
    pub sources: [PathBuf; 2],
    /// One entry per metadata video, in file order (the order that ranks equal scores).
    pub truth: Vec<VideoTruth>,
    /// Proposals of each metadata video (those filled in by
    /// [`LocalizationReadOptions::missing_as_empty`] are empty).
    pub predictions: Predictions,
    /// What the reports should mention: videos filled in or dropped, lists not sorted by score.
    pub warnings: Vec<String>,
}

/// Reads the metadata at `metadata` and the predictions at `predictions` and matches them by
/// video key.
///
/// # Errors
/// Any error of [`read_metadata`] or [`read_predictions`]; [`InputError::File`] naming the
/// predictions file and the first videos concerned when metadata videos have no predictions or
/// predictions name unknown videos (unless the options allow it).
pub fn read_localization(
    metadata: &Path,
    predictions: &Path,
    options: &LocalizationReadOptions,
) -> Result<LocalizationInput, InputError> {
    let truth = read_metadata(metadata, &options.file_key, options.segments_key.as_deref())?;
    let mut proposals = read_predictions(predictions)?;
    let mut warnings = Vec::new();
    let file_error = |message: String| InputError::File {
        path: predictions.to_owned(),
        message,
    };

    let missing: Vec<&str> = truth
        .iter()
        .filter(|v| !proposals.contains_key(&v.file))
        .map(|v| v.file.as_str())
        .collect();
    if !missing.is_empty() {
        let what = format!(
            "no predictions for {} of the {} videos of {} ({})",
            missing.len(),
            truth.len(),
            metadata.display(),
            first_few(&missing)
        );
        if !options.missing_as_empty {
            return Err(file_error(format!(
                "{what}; the AV-Deepfake1M evaluator stops on this too (allow missing videos to \
                 count their segments as missed)"
            )));
        }
        warnings.push(format!("{what}: counted as having no proposals"));
        for file in missing {
            proposals.insert(file.to_owned(), Vec::new());
        }
    }

    let known: HashSet<&str> = truth.iter().map(|v| v.file.as_str()).collect();
    let mut unknown: Vec<&str> = proposals
        .keys()
        .map(String::as_str)
        .filter(|k| !known.contains(k))
        .collect();
    if !unknown.is_empty() {
        unknown.sort_unstable();
        let what = format!(
            "predictions for {} videos that are not in {} ({})",
            unknown.len(),
            metadata.display(),
            first_few(&unknown)
        );
        if !options.ignore_unknown {
            return Err(file_error(format!(
                "{what}; the AV-Deepfake1M evaluator ignores them (allow unknown videos to drop them too)"
            )));
        }
        warnings.push(format!("{what}: ignored"));
        let unknown: Vec<String> = unknown.into_iter().map(str::to_owned).collect();
        for file in unknown {
            proposals.remove(&file);
        }
    }

    let empty = truth
        .iter()
        .filter(|v| proposals[&v.file].is_empty())
        .count();
    if empty > 0 {
        warnings.push(format!(
            "{empty} videos have no proposals: their fake segments count as missed (the \
             AV-Deepfake1M evaluator cannot read an empty list)"
        ));
    }
    let unsorted: Vec<&str> = truth
        .iter()
        .filter(|v| {
            let list = &proposals[&v.file];
            list.windows(2).any(|w| w[0].score < w[1].score)
        })
        .map(|v| v.file.as_str())
        .collect();
    if !unsorted.is_empty() {
        warnings.push(format!(
            "proposals of {} videos are not sorted by score, highest first ({}); AR keeps the \
             first proposals in file order, as the AV-Deepfake1M evaluator",
            unsorted.len(),
            first_few(&unsorted)
        ));
    }
    Ok(LocalizationInput {
        sources: [metadata.to_owned(), predictions.to_owned()],
        truth,
        predictions: proposals,
        warnings,
    })
}

/// Reads a metadata file: a JSON list of video objects, each with the video key `file_key`
/// and the segments under `segments_key` (`None`: `fake_segments`, else `fake_periods`).
///
/// # Errors
/// [`InputError::Io`] when the file cannot be read; [`InputError::Line`] (line, column and the
/// entry or video) for malformed JSON, a missing field, a segment that is not `[start, end]` or
/// ends before it starts, and a video listed twice.
pub fn read_metadata(
    path: &Path,
    file_key: &str,
    segments_key: Option<&str>,
) -> Result<Vec<VideoTruth>, InputError> {
    parse(
        path,
        MetadataSeed {
            file_key,
            segments_key,
        },
    )
}

/// Reads a predictions file: a JSON object mapping video keys to lists of
/// `[score, start, end]`.
///
/// # Errors
/// [`InputError::Io`] when the file cannot be read; [`InputError::Line`] (line, column and the
/// video) for malformed JSON, a proposal that is not three numbers or ends before it starts,
/// and a video listed twice.
pub fn read_predictions(path: &Path) -> Result<Predictions, InputError> {
    parse(path, PredictionsSeed)
}

/// `'a', 'b', 'c', …`: the first few of a list of video keys.
fn first_few(files: &[&str]) -> String {
    let shown: Vec<String> = files.iter().take(3).map(|f| format!("'{f}'")).collect();
    let more = if files.len() > 3 { ", …" } else { "" };
    format!("{}{more}", shown.join(", "))
}

/// Streams `path` through `seed`, turning serde_json's errors into [`InputError`]s.
fn parse<T>(
    path: &Path,
    seed: impl for<'de> DeserializeSeed<'de, Value = T>,
) -> Result<T, InputError> {
    let file = File::open(path).map_err(|source| InputError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut json = serde_json::Deserializer::from_reader(BufReader::with_capacity(1 << 20, file));
    seed.deserialize(&mut json)
        .and_then(|value| json.end().map(|()| value))
        .map_err(|err| json_error(path, err))
}

fn json_error(path: &Path, err: serde_json::Error) -> InputError {
    if err.is_io() {
        return InputError::Io {
            path: path.to_owned(),
            source: err.into(),
        };
    }
    let (line, column) = (err.line(), err.column());
    let text = err.to_string();
    let mut message = text
        .strip_suffix(&format!(" at line {line} column {column}"))
        .unwrap_or(&text)
        .to_owned();
    if message.ends_with("expected value") {
        message.push_str(" (NaN and Infinity are not JSON numbers)");
    }
    if line == 0 {
        return InputError::File {
            path: path.to_owned(),
            message,
        };
    }
    InputError::Line {
        path: path.to_owned(),
        line: line as u64,
        message: format!("column {column}: {message}"),
    }
}

/// Prefixes an error with what it concerns, keeping serde_json's position (its messages end
/// with " at line L column C", which `de::Error::custom` reads back).
fn within<E: de::Error>(what: impl fmt::Display) -> impl FnOnce(E) -> E {
    move |err| E::custom(format_args!("{what}: {err}"))
}

/// Up to `N` numbers of a JSON array, and how many it had.
struct Numbers<const N: usize>;

impl<'de, const N: usize> Visitor<'de> for Numbers<N> {
    type Value = ([f64; N], usize);

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a list of {N} numbers")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let (mut values, mut n) = ([0.0; N], 0);
        while let Some(x) = seq.next_element::<f64>()? {
            if let Some(slot) = values.get_mut(n) {
                *slot = x;
            }
            n += 1;
        }
        Ok((values, n))
    }
}

/// The metadata: a list of videos.
struct MetadataSeed<'k> {
    file_key: &'k str,
    segments_key: Option<&'k str>,
}

impl<'de> DeserializeSeed<'de> for MetadataSeed<'_> {
    type Value = Vec<VideoTruth>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for MetadataSeed<'_> {
    type Value = Vec<VideoTruth>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of videos ({\"file\": …, \"fake_segments\": […]})")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut videos = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        loop {
            let index = videos.len();
            let entry = EntrySeed { keys: &self };
            let Some(video) = seq
                .next_element_seed(entry)
                .map_err(within(format_args!("metadata entry {index}")))?
            else {
                break;
            };
            if let Some(first) = seen.insert(video.file.clone(), index) {
                return Err(de::Error::custom(format_args!(
                    "video '{}' is listed twice (entries {first} and {index})",
                    video.file
                )));
            }
            videos.push(video);
        }
        Ok(videos)
    }
}

/// One metadata entry: its video key and segments; other fields are skipped.
struct EntrySeed<'a, 'k> {
    keys: &'a MetadataSeed<'k>,
}

/// Recognises a metadata field name without allocating it.
struct FieldSeed<'a, 'k>(&'a MetadataSeed<'k>);

/// What a metadata field is to the reader.
enum Field {
    File,
    /// The segments; `true` when it is the field asked for or `fake_segments`, `false` for the
    /// `fake_periods` fallback.
    Segments(bool),
    Other,
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_, '_> {
    type Value = Field;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Field, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for FieldSeed<'_, '_> {
    type Value = Field;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Field, E> {
        Ok(if key == self.0.file_key {
            Field::File
        } else {
            match self.0.segments_key {
                Some(wanted) if key == wanted => Field::Segments(true),
                None if key == AV_DEEPFAKE1M_SEGMENTS_KEY => Field::Segments(true),
                None if key == LAV_DF_SEGMENTS_KEY => Field::Segments(false),
                _ => Field::Other,
            }
        })
    }
}

impl<'de> DeserializeSeed<'de> for EntrySeed<'_, '_> {
    type Value = VideoTruth;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<VideoTruth, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EntrySeed<'_, '_> {
    type Value = VideoTruth;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a video object with a \"{}\" field", self.keys.file_key)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<VideoTruth, A::Error> {
        let (mut file, mut preferred, mut fallback) = (None, None, None);
        while let Some(field) = map.next_key_seed(FieldSeed(self.keys))? {
            match field {
                Field::File => file = Some(map.next_value::<String>()?),
                Field::Segments(true) => preferred = Some(map.next_value_seed(SegmentsSeed)?),
                Field::Segments(false) => fallback = Some(map.next_value_seed(SegmentsSeed)?),
                Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let Some(file) = file else {
            return Err(de::Error::custom(format_args!(
                "no \"{}\" field",
                self.keys.file_key
            )));
        };
        let Some(segments) = preferred.or(fallback) else {
            let wanted = match self.keys.segments_key {
                Some(key) => format!("\"{key}\""),
                None => format!("\"{AV_DEEPFAKE1M_SEGMENTS_KEY}\" or \"{LAV_DF_SEGMENTS_KEY}\""),
            };
            return Err(de::Error::custom(format_args!(
                "video '{file}': no {wanted} field"
            )));
        };
        let segments = segments.map_err(|(k, numbers)| {
            de::Error::custom(format_args!("video '{file}': fake segment {k} {numbers}"))
        })?;
        Ok(VideoTruth { file, segments })
    }
}

/// A list of `[start, end]`, or which segment is wrong and how (reported once the video key is
/// known, since it may come after the segments).
struct SegmentsSeed;

type SegmentsOrFault = Result<Vec<Segment>, (usize, String)>;

impl<'de> DeserializeSeed<'de> for SegmentsSeed {
    type Value = SegmentsOrFault;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for SegmentsSeed {
    type Value = SegmentsOrFault;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of [start, end] segments")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut segments = Vec::new();
        let mut fault = None;
        while let Some(([start, end], n)) = seq.next_element_seed(NumbersSeed::<2>)? {
            let k = segments.len();
            if fault.is_none() {
                if n != 2 {
                    fault = Some((k, format!("has {n} numbers, expected [start, end]")));
                } else if start > end {
                    fault = Some((k, format!("[{start}, {end}] ends before it starts")));
                }
            }
            segments.push(Segment { start, end });
        }
        Ok(fault.map_or(Ok(segments), Err))
    }
}

/// `Numbers<N>` as a seed, for `next_element_seed`.
struct NumbersSeed<const N: usize>;

impl<'de, const N: usize> DeserializeSeed<'de> for NumbersSeed<N> {
    type Value = ([f64; N], usize);

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(Numbers::<N>)
    }
}

/// The predictions: an object from video key to proposals.
struct PredictionsSeed;

impl<'de> DeserializeSeed<'de> for PredictionsSeed {
    type Value = Predictions;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Predictions, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PredictionsSeed {
    type Value = Predictions;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object from video key to a list of [score, start, end]")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Predictions, A::Error> {
        let mut predictions = Predictions::new();
        while let Some(file) = map.next_key::<String>()? {
            let proposals = map
                .next_value_seed(ProposalsSeed)
                .map_err(within(format_args!("video '{file}'")))?;
            if predictions.contains_key(&file) {
                return Err(de::Error::custom(format_args!(
                    "video '{file}' is listed twice"
                )));
            }
            predictions.insert(file, proposals);
        }
        Ok(predictions)
    }
}

/// One video's proposals.
struct ProposalsSeed;

impl<'de> DeserializeSeed<'de> for ProposalsSeed {
    type Value = Vec<Proposal>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ProposalsSeed {
    type Value = Vec<Proposal>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of [score, start, end]")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut proposals = Vec::new();
        while let Some(([score, start, end], n)) = seq.next_element_seed(NumbersSeed::<3>)? {
            let k = proposals.len();
            if n != 3 {
                return Err(de::Error::custom(format_args!(
                    "proposal {k} has {n} numbers, expected [score, start, end]"
                )));
            }
            if start > end {
                return Err(de::Error::custom(format_args!(
                    "proposal {k} [{score}, {start}, {end}] ends before it starts"
                )));
            }
            proposals.push(Proposal { score, start, end });
        }
        Ok(proposals)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    fn read(
        meta: &str,
        pred: &str,
        options: &LocalizationReadOptions,
    ) -> Result<LocalizationInput, InputError> {
        let (m, p) = (file(meta), file(pred));
        read_localization(m.path(), p.path(), options)
    }

    /// The error's text without the temporary file's name, and its line.
    fn error(meta: &str, pred: &str, options: &LocalizationReadOptions) -> (String, Option<u64>) {
        match read(meta, pred, options).unwrap_err() {
            InputError::Line { line, message, .. } => (message, Some(line)),
            InputError::File { message, .. } => (message, None),
            other => panic!("{other}"),
        }
    }

    const META: &str = r#"[
        {"file": "a.mp4", "n_fakes": 1, "fake_segments": [[0.5, 1.25]], "duration": 4.2},
        {"fake_segments": [], "file": "b.mp4", "transcript": {"words": [1, [2, 3]]}}
    ]"#;
    const PRED: &str = r#"{"a.mp4": [[0.9, 0.5, 1.0], [0.2, 3, 4]], "b.mp4": [[0.5, 1, 2]]}"#;

    #[test]
    fn reads_both_datasets_shapes() {
        let input = read(META, PRED, &LocalizationReadOptions::default()).unwrap();
        assert_eq!(input.truth.len(), 2);
        assert_eq!(input.truth[0].file, "a.mp4");
        assert_eq!(
            input.truth[0].segments,
            [Segment {
                start: 0.5,
                end: 1.25
            }]
        );
        assert!(input.truth[1].segments.is_empty());
        assert_eq!(
            input.predictions["a.mp4"][1],
            Proposal {
                score: 0.2,
                start: 3.0,
                end: 4.0
            }
        );
        assert!(input.warnings.is_empty(), "{:?}", input.warnings);

        let lavdf = r#"[{"file": "test/000001.mp4", "n_fakes": 1, "fake_periods": [[2, 3.5]],
                        "modify_video": true, "video_frames": 115}]"#;
        let input = read(
            lavdf,
            r#"{"test/000001.mp4": [[1, 50, 87.5]]}"#,
            &Default::default(),
        );
        assert_eq!(
            input.unwrap().truth[0].segments,
            [Segment {
                start: 2.0,
                end: 3.5
            }]
        );

        // An explicit key: the visual segments of AV-Deepfake1M.
        let meta =
            r#"[{"file": "a", "fake_segments": [[0, 1]], "visual_fake_segments": [[2, 3]]}]"#;
        let options = LocalizationReadOptions {
            segments_key: Some("visual_fake_segments".into()),
            ..Default::default()
        };
        let input = read(meta, r#"{"a": []}"#, &options).unwrap();
        assert_eq!(
            input.truth[0].segments,
            [Segment {
                start: 2.0,
                end: 3.0
            }]
        );
        assert_eq!(input.warnings.len(), 1, "an empty list is worth a warning");
    }

    #[test]
    fn malformed_json_names_the_line() {
        let (message, line) = error(
            "[\n{\"file\": \"a\",\n \"fake_segments\": [[0, 1]]\n",
            PRED,
            &Default::default(),
        );
        assert_eq!(line, Some(4), "{message}");
        assert!(message.contains("EOF"), "{message}");
        let (message, line) = error(META, "{\"a.mp4\": [[0.9, NaN, 1]]}", &Default::default());
        assert_eq!(line, Some(1));
        assert!(message.contains("NaN and Infinity"), "{message}");
        let (message, _) = error(META, "[]", &Default::default());
        assert!(message.contains("invalid type: sequence"), "{message}");
        let (message, line) = error(META, "{\"a.mp4\": [[0.9, 0, 1]]}\n{}", &Default::default());
        assert_eq!(
            (message.contains("trailing"), line),
            (true, Some(2)),
            "{message}"
        );
    }

    #[test]
    fn missing_fields_and_bad_segments_name_the_entry_or_video() {
        let (message, line) = error(
            "[{\"file\": \"a\", \"fake_segments\": []},\n {\"n_fakes\": 0}]",
            PRED,
            &Default::default(),
        );
        assert_eq!(line, Some(2));
        assert!(
            message.contains("metadata entry 1: no \"file\" field"),
            "{message}"
        );
        let (message, _) = error("[{\"file\": \"a\"}]", PRED, &Default::default());
        assert!(
            message.contains("video 'a': no \"fake_segments\" or \"fake_periods\""),
            "{message}"
        );
        let (message, _) = error(
            "[{\"fake_segments\": [[0, 1], [3, 2]], \"file\": \"a\"}]",
            PRED,
            &Default::default(),
        );
        assert!(
            message.contains("video 'a': fake segment 1 [3, 2] ends before it starts"),
            "{message}"
        );
        let (message, _) = error(
            "[{\"file\": \"a\", \"fake_segments\": [[0, 1, 2]]}]",
            PRED,
            &Default::default(),
        );
        assert!(
            message.contains("fake segment 0 has 3 numbers"),
            "{message}"
        );
        let (message, _) = error(
            "[{\"file\": \"a\", \"fake_segments\": [[0, \"1\"]]}]",
            PRED,
            &Default::default(),
        );
        assert!(
            message.contains("metadata entry 0: invalid type: string \"1\""),
            "{message}"
        );
        let (message, _) = error(
            "[{\"file\": \"a\", \"fake_segments\": []}, {\"file\": \"a\", \"fake_segments\": []}]",
            PRED,
            &Default::default(),
        );
        assert!(
            message.contains("video 'a' is listed twice (entries 0 and 1)"),
            "{message}"
        );
    }

    #[test]
    fn bad_proposals_name_the_video_and_line() {
        let (message, line) = error(
            META,
            "{\"a.mp4\": [[0.9, 0, 1]],\n \"b.mp4\": [[0.9, 2, 1]]}",
            &Default::default(),
        );
        assert_eq!(line, Some(2));
        assert!(
            message.contains("video 'b.mp4': proposal 0 [0.9, 2, 1] ends before it starts"),
            "{message}"
        );
        let (message, _) = error(
            META,
            "{\"a.mp4\": [[0.9, 0, 1], [0.9, 0]]}",
            &Default::default(),
        );
        assert!(
            message.contains("video 'a.mp4': proposal 1 has 2 numbers"),
            "{message}"
        );
        let (message, _) = error(META, "{\"a.mp4\": [[0.9, 0, 1, 5]]}", &Default::default());
        assert!(message.contains("proposal 0 has 4 numbers"), "{message}");
        let (message, _) = error(META, "{\"a.mp4\": [[\"x\", 0, 1]]}", &Default::default());
        assert!(
            message.contains("video 'a.mp4': invalid type: string \"x\""),
            "{message}"
        );
        let (message, _) = error(META, "{\"a.mp4\": [[1e999, 0, 1]]}", &Default::default());
        assert!(message.contains("number out of range"), "{message}");
        let (message, _) = error(META, "{\"a.mp4\": [], \"a.mp4\": []}", &Default::default());
        assert!(
            message.contains("video 'a.mp4' is listed twice"),
            "{message}"
        );
    }

    #[test]
    fn missing_and_unknown_videos_are_errors_unless_allowed() {
        let only_a = r#"{"a.mp4": [[0.9, 0.5, 1.0]]}"#;
        let (message, line) = error(META, only_a, &Default::default());
        assert_eq!(line, None);
        assert!(
            message.contains("no predictions for 1 of the 2 videos"),
            "{message}"
        );
        assert!(message.contains("'b.mp4'"), "{message}");
        let allow = LocalizationReadOptions {
            missing_as_empty: true,
            ..Default::default()
        };
        let input = read(META, only_a, &allow).unwrap();
        assert!(input.predictions["b.mp4"].is_empty());
        assert_eq!(input.warnings.len(), 2, "{:?}", input.warnings);

        let extra = r#"{"a.mp4": [], "b.mp4": [], "c.mp4": [[1, 0, 1]]}"#;
        let (message, _) = error(META, extra, &Default::default());
        assert!(
            message.contains("predictions for 1 videos that are not in"),
            "{message}"
        );
        assert!(message.contains("'c.mp4'"), "{message}");
        let ignore = LocalizationReadOptions {
            ignore_unknown: true,
            ..Default::default()
        };
        let input = read(META, extra, &ignore).unwrap();
        assert!(!input.predictions.contains_key("c.mp4"));
    }

    #[test]
    fn unsorted_lists_are_reported_and_kept_in_file_order() {
        let pred = r#"{"a.mp4": [[0.1, 0, 1], [0.9, 2, 3]], "b.mp4": [[0.5, 1, 2]]}"#;
        let input = read(META, pred, &Default::default()).unwrap();
        assert_eq!(input.predictions["a.mp4"][0].score, 0.1);
        assert!(
            input.warnings[0].contains("not sorted by score"),
            "{:?}",
            input.warnings
        );
        assert!(
            input.warnings[0].contains("'a.mp4'"),
            "{:?}",
            input.warnings
        );
    }

    #[test]
    fn numbers_are_read_exactly() {
        // Exactly halfway between two adjacent f32 values: the evaluator rounds it down (half
        // to even); serde_json's default parser reads it one f64 ulp high, which rounds up.
        let (below, above) = (13.000_002_f32, 13.000_003_f32);
        assert_eq!(below.next_up(), above);
        let pred = r#"{"a.mp4": [[0.5, 0, 13.000002384185791]], "b.mp4": []}"#;
        let input = read(META, pred, &Default::default()).unwrap();
        let end = input.predictions["a.mp4"][0].end;
        assert_eq!(end, (f64::from(below) + f64::from(above)) / 2.0);
        assert_eq!(end as f32, below);
    }

    #[test]
    fn an_unreadable_file_is_an_io_error() {
        let err = read_predictions(Path::new("/nonexistent/predictions.json")).unwrap_err();
        assert!(matches!(err, InputError::Io { .. }));
        assert!(err.to_string().contains("/nonexistent/predictions.json"));
    }
}

/// `cargo test -p fakescope-eval --lib timing -- --ignored --nocapture`; set
/// `FAKESCOPE_LOCALIZATION_FILES=metadata.json,predictions.json` to time other files.
#[cfg(test)]
mod timing {
    use super::*;
    use fakescope_metrics::localization::{LocalizationParams, evaluate};
    use std::io::Write;
    use std::time::Instant;

    /// Writes 10k videos × 100 proposals in the AV-Deepfake1M shapes.
    fn synthetic(dir: &Path) -> (PathBuf, PathBuf) {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let (meta_path, pred_path) = (dir.join("metadata.json"), dir.join("predictions.json"));
        let mut meta = std::io::BufWriter::new(File::create(&meta_path).unwrap());
        let mut pred = std::io::BufWriter::new(File::create(&pred_path).unwrap());
        write!(meta, "[").unwrap();
        write!(pred, "{{").unwrap();
        for v in 0..10_000 {
            let sep = if v == 0 { "" } else { "," };
            let segments: Vec<String> = (0..(next() * 4.0) as usize)
                .map(|k| {
                    let start = 3.0 * k as f64 + next() * 2.0;
                    format!("[{start},{}]", start + 0.2 + next() * 2.0)
                })
                .collect();
            let segments = segments.join(",");
            write!(
                meta,
                "{sep}{{\"file\":\"train/{v}.mp4\",\"split\":\"train\",\"fake_segments\":[{segments}],\
                 \"visual_fake_segments\":[{segments}],\"video_frames\":250}}"
            )
            .unwrap();
            let mut proposals: Vec<[f64; 3]> = (0..100)
                .map(|_| {
                    let start = next() * 10.0;
                    [next(), start, start + next() * 3.0]
                })
                .collect();
            proposals.sort_by(|a, b| b[0].total_cmp(&a[0]));
            let proposals: Vec<String> = proposals
                .iter()
                .map(|[s, a, b]| format!("[{s},{a},{b}]"))
                .collect();
            write!(pred, "{sep}\"train/{v}.mp4\":[{}]", proposals.join(",")).unwrap();
        }
        write!(meta, "]").unwrap();
        write!(pred, "}}").unwrap();
        (meta_path, pred_path)
    }

    #[test]
    #[ignore = "timing on a large synthetic set"]
    fn timing_read_and_evaluate() {
        let dir = tempfile::tempdir().unwrap();
        let (meta, pred) = match std::env::var("FAKESCOPE_LOCALIZATION_FILES") {
            Ok(files) => {
                let (m, p) = files.split_once(',').unwrap();
                (PathBuf::from(m), PathBuf::from(p))
            }
            Err(_) => synthetic(dir.path()),
        };
        let bytes = std::fs::metadata(&pred).unwrap().len();
        let started = Instant::now();
        let input = read_localization(&meta, &pred, &Default::default()).unwrap();
        let read = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let params = LocalizationParams::av_deepfake1m();
        let result = evaluate(&input.truth, &input.predictions, &params).unwrap();
        let computed = started.elapsed().as_secs_f64();
        println!(
            "{} videos, {} proposals ({:.1} MB of predictions): read {read:.3} s, evaluate \
             {computed:.3} s; AP {:?} AR {:?}",
            result.videos,
            result.proposals,
            bytes as f64 / 1e6,
            result.ap.iter().map(|a| a.ap).collect::<Vec<_>>(),
            result.ar.iter().map(|a| a.ar).collect::<Vec<_>>(),
        );
    }
}

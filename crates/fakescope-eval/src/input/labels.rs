//! Label values, and labels taken from the folders of a path.
//!
//! Accepted label values, case-insensitive, surrounding spaces ignored:
//!
//! | fake / spoof (`true`) | real / bona fide (`false`) |
//! |---|---|
//! | `1`, `1.0` | `0`, `0.0` |
//! | `fake`, `spoof` | `real`, `bonafide`, `bona-fide`, `bona_fide`, `bona fide` |
//!
//! `true` / `false` are accepted only when the column's name says which class `true` is:
//! `fake`, `is_fake`, `spoof`, `is_spoof`, `deepfake`, `is_deepfake` (true = fake) or `real`,
//! `is_real`, `bonafide`, `is_bonafide`, `genuine`, `is_genuine` (true = real). In a column
//! named `label` a `true` could mean either, so it is an error rather than a guess.

/// How to read the values of one label column.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LabelColumn {
    /// What `true` means: `Some(true)` = fake, `Some(false)` = real, `None` = not accepted.
    true_is_fake: Option<bool>,
}

const TRUE_IS_FAKE: &[&str] = &[
    "fake",
    "is_fake",
    "spoof",
    "is_spoof",
    "deepfake",
    "is_deepfake",
];
const TRUE_IS_REAL: &[&str] = &[
    "real",
    "is_real",
    "bonafide",
    "is_bonafide",
    "genuine",
    "is_genuine",
];
const FAKE_WORDS: &[&str] = &["fake", "spoof"];
const REAL_WORDS: &[&str] = &["real", "bonafide", "bona-fide", "bona_fide", "bona fide"];

impl LabelColumn {
    /// The rules for a column with this name.
    pub(crate) fn named(name: &str) -> Self {
        let name = name.trim().to_ascii_lowercase().replace('-', "_");
        let true_is_fake = if TRUE_IS_FAKE.contains(&name.as_str()) {
            Some(true)
        } else if TRUE_IS_REAL.contains(&name.as_str()) {
            Some(false)
        } else {
            None
        };
        LabelColumn { true_is_fake }
    }

    /// Parses one value: `true` = fake / spoof.
    pub(crate) fn parse(self, text: &str) -> Result<bool, String> {
        let t = text.trim_ascii();
        match t {
            "1" | "1.0" => return Ok(true),
            "0" | "0.0" => return Ok(false),
            "" => return Err("missing label".to_string()),
            _ => {}
        }
        let is = |words: &[&str]| words.iter().any(|w| w.eq_ignore_ascii_case(t));
        if is(FAKE_WORDS) {
            Ok(true)
        } else if is(REAL_WORDS) {
            Ok(false)
        } else if is(&["true", "false"]) {
            let value = t.eq_ignore_ascii_case("true");
            match self.true_is_fake {
                Some(true_is_fake) => Ok(value == true_is_fake),
                None => Err(format!(
                    "label `{t}` is ambiguous: write 1/0, fake/real or spoof/bonafide, or name the \
                     column is_fake (true = fake) or is_real (true = real)"
                )),
            }
        } else {
            Err(format!(
                "label `{t}` is not one of 1/0, fake/real, spoof/bonafide (1 = fake = spoof)"
            ))
        }
    }
}

/// Whether `text` is an ASVspoof key word (`bonafide` or `spoof`, any spelling), which marks a
/// line as data rather than a header.
pub(crate) fn is_key_word(text: &str) -> bool {
    fakescope_datasets::asvspoof::is_key_word(text)
}

/// The label of `path` from its folders: a folder named like one of `dirs` decides. A path with
/// no such folder, or with folders for both classes, is an error naming the path.
///
/// Folders are the components before the file name, split at `/` and `\`, compared exactly.
pub(crate) fn label_from_dirs(path: &str, dirs: &[(String, bool)]) -> Result<bool, String> {
    let mut folders: Vec<&str> = path.split(['/', '\\']).collect();
    folders.pop(); // the file name
    let mut found: Option<(&str, bool)> = None;
    for folder in folders {
        if let Some((name, fake)) = dirs.iter().find(|(name, _)| name == folder) {
            match found {
                Some((first, first_fake)) if first_fake != *fake => {
                    return Err(format!(
                        "`{path}` is under both `{first}` ({}) and `{name}` ({})",
                        class(first_fake),
                        class(*fake)
                    ));
                }
                Some(_) => {}
                None => found = Some((name, *fake)),
            }
        }
    }
    found.map(|(_, fake)| fake).ok_or_else(|| {
        let names: Vec<String> = dirs
            .iter()
            .map(|(name, fake)| format!("{name} ({})", class(*fake)))
            .collect();
        format!(
            "`{path}` is under none of the label folders {}",
            names.join(", ")
        )
    })
}

fn class(fake: bool) -> &'static str {
    if fake { "fake" } else { "real" }
}

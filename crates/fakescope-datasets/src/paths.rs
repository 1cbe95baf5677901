//! Paths written in plans and recipes: `${VAR}` taken from the environment, relative to the
//! file that names them.

use std::path::{Path, PathBuf};

/// `path` with every `${NAME}` replaced by the environment variable, relative to `base` (the
/// folder of the recipe or plan that names it) unless absolute. The error names an unset
/// variable or an unclosed `${`.
pub fn resolve_path(path: &str, base: &Path) -> Result<PathBuf, String> {
    let expanded = expand_vars(path, &|name| std::env::var(name).ok())?;
    let p = PathBuf::from(expanded);
    Ok(if p.is_absolute() { p } else { base.join(p) })
}

/// Expands `${NAME}` with `lookup`; an unset variable is an error naming it.
pub fn expand_vars(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("unclosed ${{ in {text:?}"))?;
        let name = &after[..end];
        let value = lookup(name).ok_or_else(|| {
            format!("{text:?} uses ${{{name}}}, which is not set in the environment")
        })?;
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_expand_and_unset_ones_are_named() {
        let lookup = |name: &str| (name == "A").then(|| "/x".to_owned());
        assert_eq!(expand_vars("${A}/b", &lookup).unwrap(), "/x/b");
        let err = expand_vars("${B}/b", &lookup).unwrap_err();
        assert!(err.contains("${B}"), "{err}");
        assert!(
            expand_vars("${A", &lookup)
                .unwrap_err()
                .contains("unclosed")
        );
        assert_eq!(
            resolve_path("data/x.csv", Path::new("/plans")).unwrap(),
            PathBuf::from("/plans/data/x.csv")
        );
    }
}

//! Lexical path rules for plans: absolute, normalised, and under the mount root.
//! Nothing here touches the filesystem; symlinks are the executor's concern.

use std::path::{Component, Path};

/// Why a path cannot be used in a plan.
pub(crate) enum PathFault {
    /// Not absolute.
    Relative,
    /// Contains `.` or `..` components.
    NotNormal,
    /// Not valid UTF-8 (plans are text documents).
    NotUtf8,
    /// Contains a control character (newline, tab, ...).
    ControlCharacter,
}

impl PathFault {
    /// A clause for messages: "is not absolute".
    pub(crate) fn describe(&self) -> &'static str {
        match self {
            Self::Relative => "is not absolute",
            Self::NotNormal => "contains '.' or '..' components",
            Self::NotUtf8 => "is not valid UTF-8",
            Self::ControlCharacter => "contains a control character",
        }
    }
}

/// Checks that `path` is absolute, normalised, UTF-8 and free of control characters.
pub(crate) fn check_absolute(path: &Path) -> Result<(), PathFault> {
    let Some(text) = path.to_str() else {
        return Err(PathFault::NotUtf8);
    };
    if text.chars().any(char::is_control) {
        return Err(PathFault::ControlCharacter);
    }
    if !path.is_absolute() {
        return Err(PathFault::Relative);
    }
    if path
        .components()
        .any(|c| matches!(c, Component::CurDir | Component::ParentDir))
        || text
            .split('/')
            .skip(1)
            .any(|part| part == "." || part == "..")
    {
        return Err(PathFault::NotNormal);
    }
    Ok(())
}

/// Whether `target` is `root` or lies below it, component by component.
pub(crate) fn is_within(root: &Path, target: &Path) -> bool {
    target.starts_with(root)
}

/// Number of normal components: a parent always has fewer than its children.
pub(crate) fn depth(path: &Path) -> usize {
    path.components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_normal_paths_pass() {
        assert!(check_absolute(Path::new("/cvmfs")).is_ok());
        assert!(matches!(
            check_absolute(Path::new("cvmfs")),
            Err(PathFault::Relative)
        ));
        assert!(matches!(
            check_absolute(Path::new("/cvmfs/../etc")),
            Err(PathFault::NotNormal)
        ));
        assert!(matches!(
            check_absolute(Path::new("/cvmfs/./x")),
            Err(PathFault::NotNormal)
        ));
        assert!(matches!(
            check_absolute(Path::new("/a\nb")),
            Err(PathFault::ControlCharacter)
        ));
    }

    #[test]
    fn within_is_component_wise() {
        assert!(is_within(
            Path::new("/cvmfs"),
            Path::new("/cvmfs/cms.cern.ch")
        ));
        assert!(is_within(Path::new("/cvmfs"), Path::new("/cvmfs")));
        assert!(!is_within(Path::new("/cvmfs"), Path::new("/cvmfs2/x")));
        assert_eq!(depth(Path::new("/cvmfs/a")), 2);
    }
}

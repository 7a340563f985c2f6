//! Inode numbers for the paths of a served directory, assigned on first lookup.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Paths relative to the served directory, numbered from 1 (the root).
#[derive(Debug)]
pub struct InodeTable {
    paths: Vec<PathBuf>,
    numbers: HashMap<PathBuf, u64>,
}

impl Default for InodeTable {
    fn default() -> Self {
        let root = PathBuf::new();
        Self {
            paths: vec![root.clone()],
            numbers: HashMap::from([(root, 1)]),
        }
    }
}

impl InodeTable {
    /// The path of inode `ino`.
    pub fn path(&self, ino: u64) -> Option<&Path> {
        let index = usize::try_from(ino.checked_sub(1)?).ok()?;
        self.paths.get(index).map(PathBuf::as_path)
    }

    /// The inode of `path`, assigning one if new.
    pub fn number(&mut self, path: &Path) -> u64 {
        if let Some(ino) = self.numbers.get(path) {
            return *ino;
        }
        self.paths.push(path.to_owned());
        let ino = self.paths.len() as u64;
        self.numbers.insert(path.to_owned(), ino);
        ino
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_stable() {
        let mut table = InodeTable::default();
        assert_eq!(table.path(1), Some(Path::new("")));
        let a = table.number(Path::new("a"));
        assert_eq!(a, 2);
        assert_eq!(table.number(Path::new("a")), 2);
        assert_eq!(table.path(2), Some(Path::new("a")));
        assert_eq!(table.path(0), None);
        assert_eq!(table.path(9), None);
    }
}

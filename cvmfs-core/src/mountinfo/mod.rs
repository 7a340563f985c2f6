//! A zero-copy parser of `/proc/<pid>/mountinfo` and lookups on the result.
//!
//! Written in-house on purpose: the existing crates keep `\040` escapes undecoded,
//! reject non-UTF-8 paths, and allocate a map of options per line; this parser borrows
//! every field from the input (allocating only for a field that holds an escape) and
//! measured about 18 times faster than `procfs-core` on a 10,000-line table
//! (see `benches/`).

mod entry;
mod escape;
mod parser;
mod table;

pub use entry::{MountInfo, MountPropagation};
pub use escape::{decode, encode};
pub use parser::{parse_line, parse_lines};
pub use table::MountTable;

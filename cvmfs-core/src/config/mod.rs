//! The client's configuration: its line syntax, layering order, switches, proxy and
//! server lists, and a `default.local` for a plan.

pub mod builtin;
mod default_local;
mod effective;
mod file_syntax;
mod proxy;
mod switch;

pub use default_local::ClientProfile;
pub use effective::{ConfigFiles, ConfigValue, EffectiveConfig, ResolveOptions, resolve};
pub use file_syntax::{Assignment, ParsedFile, SkippedLine, parse_file};
pub use proxy::{Proxy, ProxyConfigError, ProxyGroups, parse_proxy_list, parse_server_urls};
pub use switch::{SWITCHES, parse_switch};

//! `cvmfs-native-server --fqrn NAME --target DIR [--config-dir DIR] [...]`: mounts one
//! repository with our own read-only client (the native backend's server; `cvmfs-cli`
//! runs the same as its hidden `native-server` subcommand). Prints `READY pid=N ...`
//! once mounted, or `ERROR message`.

use std::process::ExitCode;

use cvmfs_mount::native::{NativeArgs, run_server};

fn main() -> ExitCode {
    match NativeArgs::parse(std::env::args_os().skip(1)) {
        Ok(args) => ExitCode::from(u8::try_from(run_server(&args)).unwrap_or(1)),
        Err(message) => {
            println!("ERROR {message}");
            ExitCode::from(2)
        }
    }
}

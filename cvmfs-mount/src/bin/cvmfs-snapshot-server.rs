//! `cvmfs-snapshot-server --source DIR --target DIR --fqrn NAME [...]`: serves one
//! directory read-only through FUSE with the mount shape of a CVMFS client mount. A test
//! and development stand-in, not the CVMFS client.

use std::process::ExitCode;

use cvmfs_mount::directory_server::{ServerArgs, run_server};

fn main() -> ExitCode {
    match ServerArgs::parse(std::env::args_os().skip(1)) {
        Ok(args) => ExitCode::from(u8::try_from(run_server(&args)).unwrap_or(1)),
        Err(message) => {
            println!("ERROR {message}");
            ExitCode::from(2)
        }
    }
}

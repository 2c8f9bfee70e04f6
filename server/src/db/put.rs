//! `db put`: a policy from a file or stdin (`-`), checked as the replicas will load it,
//! written as the tenant's next version; with `--if-version N`, only if the tenant is still
//! at version N (0: it has no policy), checked and written in one transaction that holds
//! the writers' lock.

use std::io::Read;
use std::path::Path;

use origin_policy::store::Version;
use tokio_postgres::Client;

use crate::db::rows::{self, RowError, StoredPolicy};
use crate::db::writes::{self, Decision};
use crate::policy_file::Format;

/// Success.
pub const EXIT_OK: u8 = 0;
/// A refused policy, a database error, an unreadable file.
pub const EXIT_ERROR: u8 = 2;
/// `--if-version` named another version than the tenant's: nothing was written.
pub const EXIT_VERSION_CHANGED: u8 = 3;

/// A tenant name as messages show it (escaped: it comes from the command line).
fn shown(tenant: &str) -> String {
    tenant.escape_debug().to_string()
}

/// The text to write and its format: from `file` (`-` for stdin) and `--format`, else the
/// file's extension, else (stdin) the text itself.
fn read(file: &Path, format: Option<Format>) -> Result<(String, Format, String), String> {
    if file == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|error| format!("cannot read stdin: {error}"))?;
        let format = format.unwrap_or_else(|| Format::of_text(&text));
        return Ok((text, format, "stdin".to_owned()));
    }
    let name = file.display().to_string().escape_debug().to_string();
    let format = format.or_else(|| Format::from_path(file)).ok_or_else(|| {
        format!("{name}: a policy file's name ends in .toml or .json (or give --format)")
    })?;
    let text =
        std::fs::read_to_string(file).map_err(|error| format!("cannot read {name}: {error}"))?;
    Ok((text, format, name))
}

/// Reads, validates, lints and writes; the exit status.
pub async fn put(
    client: &mut Client,
    tenant: &str,
    file: &Path,
    format: Option<Format>,
    if_version: Option<Version>,
) -> Result<u8, RowError> {
    let (text, format, name) = match read(file, format) {
        Ok(read) => read,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(EXIT_ERROR);
        }
    };
    let policy = match crate::policy_file::load(&name, &text, format) {
        Ok(policy) => policy,
        Err(error) => {
            eprintln!("error: {error}");
            eprintln!("refused: nothing was written for {}", shown(tenant));
            return Ok(EXIT_ERROR);
        }
    };
    // Located as `policy_file::lint` (and the CLI's `lint`) locates them: FILE:LINE:COL.
    match origin_policy::policy_file::lint(&name, &text, format) {
        Ok(warnings) => warnings.iter().for_each(|warning| eprintln!("{warning}")),
        // Not expected: `load` accepted the same text.
        Err(_) => policy
            .lint()
            .iter()
            .for_each(|warning| eprintln!("warning: {name}: {warning}")),
    }
    let stored = StoredPolicy { text, format };
    let version = match if_version {
        None => rows::put(client, tenant, &stored).await?,
        Some(expected) => {
            // An empty label: the history records no admin token for a command-line write.
            let written = writes::compare_and_write(client, tenant, "", |current| {
                let at = current.map_or(0, |current| current.version);
                if at == expected {
                    Decision::Write(stored)
                } else {
                    Decision::Refuse(at)
                }
            })
            .await?;
            match written {
                Ok(version) => version,
                Err(at) => {
                    eprintln!(
                        "refused: {} is at version {at}, not {expected}; nothing was written",
                        shown(tenant)
                    );
                    return Ok(EXIT_VERSION_CHANGED);
                }
            }
        }
    };
    println!("{}: version {version}", shown(tenant));
    Ok(EXIT_OK)
}

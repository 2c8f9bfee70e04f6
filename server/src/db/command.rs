//! `origin-policy-server db …`: the schema and the policies in PostgreSQL.
//!
//! Every write goes through the same check as a policy file of `serve --policies`
//! ([`crate::policy_file::load`]): a policy with any bad entry is refused with every error,
//! and nothing is written. Versions are assigned by the database.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use origin_policy::store::Version;
use tokio_postgres::{Client, NoTls};

use crate::db::rows::{self, Change, RowError};
use crate::db::{build, schema};
use crate::policy_file::Format;

/// Success.
const EXIT_OK: u8 = 0;
/// Nothing to show or roll back to: an unknown tenant or version.
const EXIT_NOT_FOUND: u8 = 1;
/// A refused policy, a database error, an unreadable file.
const EXIT_ERROR: u8 = 2;

/// The format `db put --format` names.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum PutFormat {
    Toml,
    Json,
}

/// `db`: the subcommands and the connection they share.
#[derive(Debug, Args)]
pub struct DbArgs {
    /// The database: a `postgresql://USER@HOST:PORT/DB` URL or `key=value` pairs; without
    /// it, DATABASE_URL, else the libpq variables (PGHOST, PGPORT, PGUSER, PGDATABASE, ...).
    #[arg(long, value_name = "URL", global = true)]
    postgres: Option<String>,

    #[command(subcommand)]
    command: DbCommand,
}

#[derive(Debug, Subcommand)]
enum DbCommand {
    /// Create or update the schema (the SQL files of server/migrations/, each applied once).
    Migrate,
    /// Validate FILE (TOML, or JSON when it ends in .json; `-` reads stdin, its format
    /// from --format or sniffed) and write it as TENANT's next version. Every bad entry is
    /// reported and nothing is written; lint warnings are printed and do not stop the
    /// write. Prints the new version.
    Put {
        /// The tenant whose policy to write (a name a request's tenant header may carry).
        tenant: String,
        /// The policy file to write: TOML, or JSON when it ends in .json; `-` reads stdin.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The policy's format, whatever the file's name says.
        #[arg(long, value_enum)]
        format: Option<PutFormat>,
        /// Write only if TENANT is still at version N (0: it has no policy yet); else exit
        /// 3 and write nothing.
        #[arg(long, value_name = "N")]
        if_version: Option<Version>,
    },
    /// Print TENANT's current policy on stdout (as stored) and its version on stderr.
    Get { tenant: String },
    /// List every version of TENANT, oldest first: VERSION, time (UTC), format or
    /// `deleted`, size in bytes, TAB-separated.
    History { tenant: String },
    /// Write the policy of an old VERSION of TENANT again, as its next version.
    Rollback { tenant: String, version: Version },
    /// Delete TENANT (recorded in the history with a version of its own).
    Delete { tenant: String },
}

/// Runs a `db` subcommand; its messages are on stdout and stderr.
pub fn run(args: DbArgs) -> ExitCode {
    let url = super::connection::resolve(args.postgres, |name| std::env::var(name).ok());
    let Some(url) = url else {
        eprintln!("error: --postgres URL is required (or DATABASE_URL, or the PG* variables)");
        return ExitCode::from(EXIT_ERROR);
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let status = runtime.block_on(async move {
        let mut client = match connect(&url).await {
            Ok(client) => client,
            Err(message) => {
                eprintln!("error: {message}");
                return EXIT_ERROR;
            }
        };
        match execute(&mut client, args.command).await {
            Ok(status) => status,
            Err(error) => {
                eprintln!("error: {error}");
                EXIT_ERROR
            }
        }
    });
    ExitCode::from(status)
}

async fn connect(url: &str) -> Result<Client, String> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(|error| format!("cannot connect to PostgreSQL: {error}"))?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            eprintln!("error: PostgreSQL connection: {error}");
        }
    });
    Ok(client)
}

/// A tenant name as messages show it (escaped: it comes from the command line).
fn shown(tenant: &str) -> String {
    tenant.escape_debug().to_string()
}

async fn execute(client: &mut Client, command: DbCommand) -> Result<u8, RowError> {
    match command {
        DbCommand::Migrate => {
            let applied = schema::migrate(client).await?;
            if applied.is_empty() {
                println!("schema up to date");
            }
            for name in applied {
                println!("applied {name}");
            }
            Ok(EXIT_OK)
        }
        DbCommand::Put {
            tenant,
            file,
            format,
            if_version,
        } => {
            let format = format.map(|format| match format {
                PutFormat::Toml => Format::Toml,
                PutFormat::Json => Format::Json,
            });
            super::put::put(client, &tenant, &file, format, if_version).await
        }
        DbCommand::Get { tenant } => {
            let Some(entry) = rows::current(client, &tenant).await? else {
                eprintln!("{}: no such tenant", shown(&tenant));
                return Ok(EXIT_NOT_FOUND);
            };
            let Change {
                version, policy, ..
            } = entry.change;
            let Some(policy) = policy else {
                return Err(RowError::Unexpected("a current row without policy".into()));
            };
            print!("{}", policy.text);
            eprintln!(
                "{}: version {version}, {}, written {}",
                shown(&tenant),
                rows::format_name(policy.format),
                entry.written_at
            );
            // Written around `db put` (plain SQL), it may not build: the replicas refuse it.
            if let Err(error) = build::load(&tenant, version, &policy) {
                eprintln!(
                    "refused: the replicas do not serve version {version} and keep the newest that builds:\n{error}"
                );
            }
            Ok(EXIT_OK)
        }
        DbCommand::History { tenant } => {
            let entries = rows::history(client, &tenant).await?;
            if entries.is_empty() {
                eprintln!("{}: no history", shown(&tenant));
                return Ok(EXIT_NOT_FOUND);
            }
            for entry in entries {
                let (format, size) = match &entry.change.policy {
                    Some(policy) => (rows::format_name(policy.format), policy.text.len()),
                    None => ("deleted", 0),
                };
                println!(
                    "{}\t{}\t{format}\t{size}",
                    entry.change.version, entry.written_at
                );
            }
            Ok(EXIT_OK)
        }
        DbCommand::Rollback { tenant, version } => rollback(client, &tenant, version).await,
        DbCommand::Delete { tenant } => match rows::delete(client, &tenant).await? {
            Some(version) => {
                println!("{}: deleted at version {version}", shown(&tenant));
                Ok(EXIT_OK)
            }
            None => {
                eprintln!("{}: no such tenant", shown(&tenant));
                Ok(EXIT_NOT_FOUND)
            }
        },
    }
}

/// `db rollback`: the old version's policy, checked again, written as the next version.
async fn rollback(client: &Client, tenant: &str, version: Version) -> Result<u8, RowError> {
    let Some(change) = rows::at_version(client, tenant, version).await? else {
        eprintln!("{}: no version {version}", shown(tenant));
        return Ok(EXIT_NOT_FOUND);
    };
    let Some(policy) = change.policy else {
        eprintln!(
            "{}: version {version} deleted the tenant; `db delete` deletes it again",
            shown(tenant)
        );
        return Ok(EXIT_NOT_FOUND);
    };
    // Written with plain SQL, an old version may not build; it is refused like a file.
    if let Err(error) = build::load(tenant, version, &policy) {
        eprintln!("error: {error}");
        eprintln!("refused: nothing was written for {}", shown(tenant));
        return Ok(EXIT_ERROR);
    }
    let written = rows::put(client, tenant, &policy).await?;
    println!(
        "{}: version {written} (the policy of version {version})",
        shown(tenant)
    );
    Ok(EXIT_OK)
}

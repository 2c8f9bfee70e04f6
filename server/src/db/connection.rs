//! Where the `db` commands connect: `--postgres`, else `DATABASE_URL`, else the libpq
//! variables (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`, …) that
//! `psql` reads, since `tokio-postgres` reads none of them.

/// The libpq variables read, with the `key=value` name each becomes.
const LIBPQ_VARIABLES: &[(&str, &str)] = &[
    ("PGHOST", "host"),
    ("PGHOSTADDR", "hostaddr"),
    ("PGPORT", "port"),
    ("PGUSER", "user"),
    ("PGPASSWORD", "password"),
    ("PGDATABASE", "dbname"),
    ("PGAPPNAME", "application_name"),
    ("PGCONNECT_TIMEOUT", "connect_timeout"),
    ("PGSSLMODE", "sslmode"),
    ("PGOPTIONS", "options"),
];

/// The connection string: `flag`, else `DATABASE_URL`, else `key=value` pairs of the libpq
/// variables that are set; `None` when there is none of them. `var` reads a variable
/// (the environment, or a test's map).
pub fn resolve(flag: Option<String>, var: impl Fn(&str) -> Option<String>) -> Option<String> {
    if flag.is_some() {
        return flag;
    }
    if let Some(url) = var("DATABASE_URL").filter(|url| !url.is_empty()) {
        return Some(url);
    }
    let pairs: Vec<String> = LIBPQ_VARIABLES
        .iter()
        .filter_map(|(variable, key)| {
            let value = var(variable).filter(|value| !value.is_empty())?;
            Some(format!("{key}={}", quoted(&value)))
        })
        .collect();
    (!pairs.is_empty()).then(|| pairs.join(" "))
}

/// A value of a `key=value` connection string, in single quotes with `\` and `'` escaped.
fn quoted(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A client on `config`, its connection driven by a task of its own that logs how it ended
/// (for `what`, such as `admin`); for request-scoped work that listens to nothing.
pub async fn connect(
    config: &tokio_postgres::Config,
    what: &'static str,
) -> Result<tokio_postgres::Client, String> {
    let (client, connection) = config
        .connect(tokio_postgres::NoTls)
        .await
        .map_err(|error| format!("cannot connect to PostgreSQL: {error}"))?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::warn!("{what}: PostgreSQL connection: {error}");
        }
    });
    Ok(client)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::str::FromStr;

    use super::*;

    #[test]
    fn the_flag_then_database_url_then_the_libpq_variables() {
        let env: HashMap<&str, &str> = [
            ("DATABASE_URL", "postgresql://u@h/db"),
            ("PGHOST", "/run/postgresql"),
            ("PGPASSWORD", "it's a \\ secret"),
            ("PGDATABASE", "policies"),
        ]
        .into();
        let var = |name: &str| env.get(name).map(|v| v.to_string());
        assert_eq!(
            resolve(Some("host=x".into()), var).as_deref(),
            Some("host=x")
        );
        assert_eq!(resolve(None, var).as_deref(), Some("postgresql://u@h/db"));
        let without_url = |name: &str| (name != "DATABASE_URL").then(|| var(name)).flatten();
        let pairs = resolve(None, without_url).unwrap();
        let config = tokio_postgres::Config::from_str(&pairs).unwrap();
        assert_eq!(config.get_dbname(), Some("policies"));
        assert_eq!(config.get_password(), Some("it's a \\ secret".as_bytes()));
        assert_eq!(resolve(None, |_| None), None);
    }
}

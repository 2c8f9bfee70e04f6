//! The admin tokens: `--admin-tokens FILE`, one token per line, `LABEL TENANT sha256:HEX`
//! (`TENANT` a tenant name or `*` for every tenant; blank lines and `#` comments ignored).
//! Only the SHA-256 of each token is stored; a request's `Authorization: Bearer TOKEN` is
//! hashed and compared with every line in constant time (`subtle`), so neither the
//! answer's time nor its status says which line came close.
//!
//! The file is read again when its size, modification time or inode changes (checked on
//! each request, one `stat`), so tokens are added and revoked without a restart. A file
//! that no longer reads or parses keeps the previous tokens, with an error logged.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// One line of the file.
#[derive(Debug, Clone)]
struct Token {
    label: String,
    /// `None` for `*`.
    tenant: Option<String>,
    hash: [u8; 32],
}

/// What identifies a version of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
}

fn stamp(path: &Path) -> std::io::Result<Stamp> {
    let metadata = fs::metadata(path)?;
    Ok(Stamp {
        len: metadata.len(),
        modified: metadata.modified().ok(),
        inode: metadata.ino(),
    })
}

/// Why a request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No token, or one that no line has: 401.
    Unauthorized,
    /// A known token for other tenants: 403.
    Forbidden,
}

/// The token file and the tokens last read from it.
#[derive(Debug)]
pub struct Tokens {
    path: PathBuf,
    state: Mutex<(Option<Stamp>, Vec<Token>)>,
}

impl Tokens {
    /// Reads the file; an unreadable file or a bad line is a start-up error.
    pub fn load(path: PathBuf) -> Result<Tokens, String> {
        let stamp = stamp(&path).map_err(|error| format!("{}: {error}", path.display()))?;
        let tokens = read(&path)?;
        Ok(Tokens {
            path,
            state: Mutex::new((Some(stamp), tokens)),
        })
    }

    /// The label of the token in `authorization` if it may act on `tenant` (`None`: any
    /// tenant will do, as for validating an entry on its own).
    pub fn authorize(
        &self,
        authorization: Option<&[u8]>,
        tenant: Option<&str>,
    ) -> Result<String, Refusal> {
        let presented = authorization
            .and_then(|value| value.strip_prefix(b"Bearer "))
            .map(|token| token.trim_ascii())
            .filter(|token| !token.is_empty())
            .ok_or(Refusal::Unauthorized)?;
        let hash: [u8; 32] = Sha256::digest(presented).into();
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        self.refresh(&mut state);
        // Every line is compared, whatever matched before.
        let (mut known, mut allowed) = (false, None);
        for token in &state.1 {
            if bool::from(token.hash.ct_eq(&hash)) {
                known = true;
                let may = match (&token.tenant, tenant) {
                    (None, _) | (_, None) => true,
                    (Some(own), Some(asked)) => own == asked,
                };
                if may && allowed.is_none() {
                    allowed = Some(token.label.clone());
                }
            }
        }
        match (allowed, known) {
            (Some(label), _) => Ok(label),
            (None, true) => Err(Refusal::Forbidden),
            (None, false) => Err(Refusal::Unauthorized),
        }
    }

    fn refresh(&self, state: &mut (Option<Stamp>, Vec<Token>)) {
        let now = stamp(&self.path).ok();
        if now.is_some() && now == state.0 {
            return;
        }
        match read(&self.path) {
            Ok(tokens) => {
                tracing::info!(tokens = tokens.len(), "admin tokens read again");
                *state = (now, tokens);
            }
            Err(error) => {
                tracing::error!("admin tokens: keeping the previous tokens: {error}");
                state.0 = now;
            }
        }
    }
}

fn read(path: &Path) -> Result<Vec<Token>, String> {
    let text = fs::read_to_string(path).map_err(|error| format!("{}: {error}", path.display()))?;
    parse(&text).map_err(|error| format!("{}:{error}", path.display()))
}

/// Every line of a token file; the first bad line is an error (`LINE: what`).
fn parse(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let bad = |what: &str| format!("{}: {what}", number + 1);
        let [label, tenant, hash] = fields[..] else {
            return Err(bad("expected `LABEL TENANT sha256:HEX`"));
        };
        let hex = hash
            .strip_prefix("sha256:")
            .ok_or_else(|| bad("the hash starts with `sha256:`"))?;
        let hash = decode_hex(hex).ok_or_else(|| bad("the hash is 64 hexadecimal digits"))?;
        tokens.push(Token {
            label: label.to_owned(),
            tenant: (tenant != "*").then(|| tenant.to_owned()),
            hash,
        });
    }
    Ok(tokens)
}

fn decode_hex(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0; 32];
    for (at, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * at..2 * at + 2], 16).ok()?;
    }
    Some(out)
}

/// The line of a token file for `token`: what `LABEL TENANT sha256:HEX` holds.
#[cfg(test)]
pub fn hash_hex(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_checked_by_hash_and_tenant_and_reread_when_the_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens");
        let write = |text: String| {
            let temporary = dir.path().join("tokens.tmp");
            fs::write(&temporary, text).unwrap();
            fs::rename(&temporary, &path).unwrap();
        };
        write(format!(
            "# admins\nalice acme sha256:{}\n\nops * sha256:{}\n",
            hash_hex("a-secret"),
            hash_hex("o-secret")
        ));
        let tokens = Tokens::load(path.clone()).unwrap();
        let auth = |value: &str, tenant| tokens.authorize(Some(value.as_bytes()), tenant);
        assert_eq!(auth("Bearer a-secret", Some("acme")), Ok("alice".into()));
        assert_eq!(
            auth("Bearer a-secret", Some("other")),
            Err(Refusal::Forbidden)
        );
        assert_eq!(auth("Bearer a-secret", None), Ok("alice".into()));
        assert_eq!(auth("Bearer o-secret", Some("other")), Ok("ops".into()));
        assert_eq!(
            auth("Bearer nope", Some("acme")),
            Err(Refusal::Unauthorized)
        );
        assert_eq!(auth("a-secret", Some("acme")), Err(Refusal::Unauthorized));
        assert_eq!(auth("Bearer ", None), Err(Refusal::Unauthorized));
        assert_eq!(tokens.authorize(None, None), Err(Refusal::Unauthorized));

        write(format!("bob acme sha256:{}\n", hash_hex("b-secret")));
        assert_eq!(
            auth("Bearer a-secret", Some("acme")),
            Err(Refusal::Unauthorized)
        );
        assert_eq!(auth("Bearer b-secret", Some("acme")), Ok("bob".into()));
        // A broken file keeps the tokens read before.
        write("bob acme md5:00\n".to_owned());
        assert_eq!(auth("Bearer b-secret", Some("acme")), Ok("bob".into()));
    }

    #[test]
    fn bad_lines_are_named() {
        assert!(parse("a b").unwrap_err().starts_with("1:"));
        assert!(parse("\n\na * sha256:xyz").unwrap_err().starts_with("3:"));
        assert!(parse(&format!("a * {}", hash_hex("x"))).is_err());
        assert_eq!(parse("# only a comment\n").unwrap().len(), 0);
    }
}

//! The two schemes an allowed origin can have.

use std::fmt;

/// `http` or `https`: the only schemes a rule can name and an origin can be allowed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// `http`, default port 80. Test mode only.
    Http,
    /// `https`, default port 443.
    Https,
}

impl Scheme {
    /// The lowercase name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    /// The port an origin of this scheme has when it names none
    /// ([WHATWG URL, default port](https://url.spec.whatwg.org/#default-port)).
    pub const fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    /// Reads a scheme ASCII case-insensitively, as URL parsers do.
    pub(crate) fn from_ascii_case_insensitive(text: &str) -> Option<Scheme> {
        if text.eq_ignore_ascii_case("https") {
            Some(Scheme::Https)
        } else if text.eq_ignore_ascii_case("http") {
            Some(Scheme::Http)
        } else {
            None
        }
    }

    pub(crate) const fn slot(self) -> usize {
        match self {
            Scheme::Http => 0,
            Scheme::Https => 1,
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

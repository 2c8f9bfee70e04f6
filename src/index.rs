//! The compiled index: per (mode, scheme), one hash map from host to the rules keyed by it.
//!
//! An exact rule is keyed by its host, a wildcard rule by its base. A check probes the
//! origin's host for exact rules, then each parent domain, longest first, for wildcard
//! rules: at most one probe per label, whatever the number of rules. The first hit is the
//! most specific rule, so the walk can stop there.

use std::collections::HashMap;

use crate::host::HostKind;
use crate::mode::Mode;
use crate::origin::Origin;
use crate::pattern::{HostPattern, Pattern, PortSpec};
use crate::scheme::Scheme;

/// A rule's position in its mode's rule list.
pub(crate) type RuleIndex = u32;

#[derive(Debug, Default)]
pub(crate) struct Index {
    tables: [Table; 4],
}

#[derive(Debug, Default)]
struct Table {
    hosts: HashMap<Box<str>, HostEntry>,
}

/// The rules keyed by one host: those for exactly this host, and those for its subdomains.
#[derive(Debug, Default)]
struct HostEntry {
    exact: Ports,
    subdomains: Ports,
}

/// Rules of one host key, by port. An exact port beats `*`; among equal rules the first
/// added (lowest index) is kept.
#[derive(Debug, Default)]
struct Ports {
    listed: Vec<(u16, RuleIndex)>,
    any: Option<RuleIndex>,
}

impl Ports {
    fn insert(&mut self, port: PortSpec, rule: RuleIndex) {
        match port {
            PortSpec::Any => {
                self.any.get_or_insert(rule);
            }
            PortSpec::Exact(port) => {
                if !self.listed.iter().any(|&(listed, _)| listed == port) {
                    self.listed.push((port, rule));
                }
            }
        }
    }

    fn find(&self, port: u16) -> Option<RuleIndex> {
        self.listed
            .iter()
            .find(|&&(listed, _)| listed == port)
            .map(|&(_, rule)| rule)
            .or(self.any)
    }
}

fn slot(mode: Mode, scheme: Scheme) -> usize {
    mode.slot() * 2 + scheme.slot()
}

impl Index {
    /// Adds a rule. Rules must come in index order, so that duplicates keep the first.
    pub(crate) fn insert(&mut self, mode: Mode, pattern: &Pattern, rule: RuleIndex) {
        let table = &mut self.tables[slot(mode, pattern.scheme())];
        let (key, is_wildcard) = match pattern.host() {
            HostPattern::Exact(host) => (host.to_string(), false),
            HostPattern::Subdomains(base) => (base.clone(), true),
        };
        let entry = table.hosts.entry(key.into_boxed_str()).or_default();
        let ports = if is_wildcard {
            &mut entry.subdomains
        } else {
            &mut entry.exact
        };
        ports.insert(pattern.port(), rule);
    }

    /// The most specific rule of `mode` that allows `origin`.
    pub(crate) fn lookup(&self, mode: Mode, origin: &Origin<'_>) -> Option<RuleIndex> {
        let table = &self.tables[slot(mode, origin.scheme())];
        if table.hosts.is_empty() {
            return None;
        }
        let host = origin.host();
        let port = origin.port();
        if let Some(rule) = table
            .hosts
            .get(host)
            .and_then(|entry| entry.exact.find(port))
        {
            return Some(rule);
        }
        if origin.host_kind() != HostKind::Domain {
            return None;
        }
        let mut parent = host;
        while let Some(dot) = parent.find('.') {
            parent = &parent[dot + 1..];
            if let Some(rule) = table
                .hosts
                .get(parent)
                .and_then(|entry| entry.subdomains.find(port))
            {
                return Some(rule);
            }
        }
        None
    }
}

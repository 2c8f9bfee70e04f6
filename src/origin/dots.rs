//! hot path: measured with benches/instructions.sh
//!
//! Where the labels of a host begin: the offsets of its dots that a check needs, recorded
//! once by the origin parser so that the index never searches the host for them again.

/// How many of the last dots are kept: enough for every parent a wildcard base of up to
/// eight labels can be; deeper ones are found by scanning the host (rare).
pub(crate) const RECENT: usize = 8;

/// The dots of a host: how many there are, where the first is, and where the last
/// [`RECENT`] are (a ring indexed by the dot's number modulo `RECENT`). Offsets are bytes
/// into the host, which has at most 253.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub(crate) struct Dots {
    count: u8,
    first: u8,
    recent: [u8; RECENT],
}

impl Dots {
    /// The dots of `host`.
    pub(crate) fn of(host: &str) -> Dots {
        let mut dots = Dots::default();
        for (at, byte) in host.bytes().enumerate() {
            if byte == b'.' {
                dots.push(at);
            }
        }
        dots
    }

    /// Records the next dot, at byte `at` of the host. A host whose offsets do not fit in
    /// a byte is longer than a name may be, so the parser refuses it after the scan and the
    /// truncated record is never read.
    #[inline]
    pub(crate) fn push(&mut self, at: usize) {
        let at = at as u8;
        if self.count == 0 {
            self.first = at;
        }
        self.recent[usize::from(self.count) % RECENT] = at;
        self.count = self.count.wrapping_add(1);
    }

    /// The number of labels.
    #[inline]
    pub(crate) fn labels(&self) -> usize {
        usize::from(self.count) + 1
    }

    /// The offset of the first dot, if any.
    #[inline]
    pub(crate) fn first(&self) -> Option<usize> {
        (self.count > 0).then_some(usize::from(self.first))
    }

    /// Where the suffix of `host` with `labels` labels begins (`1 <= labels <=
    /// self.labels()`): just after the `labels`-th dot from the right, or 0 for the whole
    /// host.
    #[inline]
    pub(crate) fn suffix_start(&self, host: &str, labels: usize) -> usize {
        let count = usize::from(self.count);
        if labels > count {
            return 0;
        }
        // The dot that starts the suffix, numbered from the left.
        let dot = count - labels;
        if labels <= RECENT {
            return usize::from(self.recent[dot % RECENT]) + 1;
        }
        host.bytes()
            .enumerate()
            .filter(|&(_, byte)| byte == b'.')
            .nth(dot)
            .map_or(0, |(at, _)| at + 1)
    }

    /// Where the suffix one label shorter than the one at `start` begins: just after the
    /// next dot (or the host's end). A walk over deep parents, longest first, reads each
    /// byte of the host once this way, where [`suffix_start`](Self::suffix_start) would scan
    /// the host again for each.
    #[inline]
    pub(crate) fn next_suffix(host: &str, start: usize) -> usize {
        let rest = host.as_bytes().get(start..).unwrap_or_default();
        rest.iter()
            .position(|&byte| byte == b'.')
            .map_or(host.len(), |dot| start + dot + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_start_after_their_dot_at_any_depth() {
        let host = "a.b.c.d.e.f.g.h.i.j.k.example.com";
        let dots = Dots::of(host);
        assert_eq!(dots.labels(), 13);
        assert_eq!(dots.first(), Some(1));
        for labels in 1..=13 {
            let start = dots.suffix_start(host, labels);
            let suffix = &host[start..];
            assert_eq!(suffix.split('.').count(), labels, "{suffix}");
            assert!(start == 0 || host.as_bytes()[start - 1] == b'.');
        }
        // Deep parents one after another, as the walk reads them.
        let mut start = dots.suffix_start(host, 13);
        for labels in (1..13).rev() {
            start = Dots::next_suffix(host, start);
            assert_eq!(start, dots.suffix_start(host, labels), "{labels}");
        }
        assert_eq!(Dots::next_suffix(host, host.len() - 3), host.len());
        let single = Dots::of("localhost");
        assert_eq!((single.labels(), single.first()), (1, None));
        assert_eq!(single.suffix_start("localhost", 1), 0);
    }
}

//! A count of the work a check does (slots probed, rules and ports compared, trie steps),
//! kept only in the crate's own tests, where the worst-shape test holds it to a constant.
//! In every other build [`count`] is empty and costs nothing.

#[cfg(test)]
thread_local! {
    static WORK: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Adds `n` steps of work.
#[inline(always)]
pub(crate) fn count(n: u64) {
    #[cfg(test)]
    WORK.with(|work| work.set(work.get() + n));
    let _ = n;
}

/// The steps counted on this thread since the last call.
#[cfg(test)]
pub(crate) fn take() -> u64 {
    WORK.with(|work| work.replace(0))
}

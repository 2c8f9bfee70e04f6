//! Worst list shapes for the index: lists of `n` entries whose rules pile onto one key or
//! one host, with the origins that make a check do the most work on them.
//!
//! A random list spreads its rules over as many keys as it has rules; these do the opposite,
//! which a table that scans the rules of a key would pay for on every check. The worst-shape
//! test (`src/index/shapes_tests.rs`), the `build_policy` fuzz target and the
//! `worst_shapes` example build them.

use origin_policy::Mode;

/// One worst shape: its name, its entries (all in [`Mode::Live`]) and the origins to check.
#[derive(Debug, Clone)]
pub struct Shape {
    pub name: &'static str,
    pub entries: Vec<String>,
    /// Origins that reach the shape's pile of rules: hits on the first, middle and last
    /// entries, and misses on the same key.
    pub origins: Vec<String>,
}

/// A port from `1..=65535` for the `i`-th entry, all different for `i < 65,535`.
fn port(i: usize) -> u16 {
    u16::try_from(i % 65_535 + 1).unwrap_or(1)
}

/// The names of every shape, in the order of [`all`].
pub const NAMES: [&str; 6] = [
    "same-host-many-ports",
    "duplicates",
    "wildcard-many-ports",
    "wildcard-bases-over-one-host",
    "label-wildcards-over-one-suffix",
    "label-wildcard-many-ports",
];

/// The same host on `n` ports (`https://a.example.com:1`, `:2`, …), then `:*`.
pub fn same_host_many_ports(n: usize) -> Shape {
    let mut entries: Vec<String> = (0..n.saturating_sub(1))
        .map(|i| format!("https://a.example.com:{}", port(i)))
        .collect();
    entries.push("https://a.example.com:*".to_owned());
    let origins = vec![
        format!("https://a.example.com:{}", port(0)),
        format!("https://a.example.com:{}", port(n / 2)),
        format!("https://a.example.com:{}", port(n.saturating_sub(2))),
        "https://a.example.com:65535".to_owned(),
        "https://b.example.com:1".to_owned(),
    ];
    Shape {
        name: NAMES[0],
        entries,
        origins,
    }
}

/// One entry `n` times.
pub fn duplicates(n: usize) -> Shape {
    Shape {
        name: NAMES[1],
        entries: vec!["https://a.example.com:8443".to_owned(); n],
        origins: vec![
            "https://a.example.com:8443".to_owned(),
            "https://a.example.com".to_owned(),
            "https://a.example.com:8444".to_owned(),
        ],
    }
}

/// `https://*.example.com` on `n` ports.
pub fn wildcard_many_ports(n: usize) -> Shape {
    let entries = (0..n)
        .map(|i| format!("https://*.example.com:{}", port(i)))
        .collect();
    Shape {
        name: NAMES[2],
        entries,
        origins: vec![
            format!("https://x.example.com:{}", port(0)),
            format!("https://x.y.example.com:{}", port(n / 2)),
            format!("https://x.example.com:{}", port(n.saturating_sub(1))),
            "https://x.example.com".to_owned(),
        ],
    }
}

/// `*.` wildcards on every parent domain of one deep host (as many labels as a name can
/// have), each on `n / labels` ports: a check of that host may probe every parent.
pub fn wildcard_bases_over_one_host(n: usize) -> Shape {
    // 120 labels of 1 byte and `example.com`: 251 bytes.
    let labels: Vec<String> = (0..120)
        .map(|i| format!("{}", (b'a' + (i % 26) as u8) as char))
        .collect();
    let host = |from: usize| format!("{}.example.com", labels[from..].join("."));
    let bases = labels.len();
    let per_base = n.div_ceil(bases).max(1);
    let mut entries = Vec::with_capacity(n);
    'fill: for i in 0..per_base {
        for from in 0..bases {
            if entries.len() == n {
                break 'fill;
            }
            entries.push(format!("https://*.{}:{}", host(from), port(i)));
        }
    }
    let deep = host(0);
    Shape {
        name: NAMES[3],
        entries,
        origins: vec![
            format!("https://z.{deep}:1"),
            format!("https://z.{deep}:65535"),
            format!("https://{deep}:1"),
            format!("https://{}:{}", host(60), port(per_base / 2)),
        ],
    }
}

/// Label wildcards `p<i>-*.example.com` over one base, every prefix different.
pub fn label_wildcards_over_one_suffix(n: usize) -> Shape {
    let entries = (0..n)
        .map(|i| format!("https://p{i}-*-s{}.example.com", i % 97))
        .collect();
    Shape {
        name: NAMES[4],
        entries,
        origins: vec![
            "https://p0-x-s0.example.com".to_owned(),
            format!("https://p{}-x-s{}.example.com", n / 2, (n / 2) % 97),
            "https://p1-x-s0.example.com".to_owned(),
            "https://p-x.example.com".to_owned(),
        ],
    }
}

/// `https://pr-*.example.com` on `n` ports.
pub fn label_wildcard_many_ports(n: usize) -> Shape {
    let entries = (0..n)
        .map(|i| format!("https://pr-*.example.com:{}", port(i)))
        .collect();
    Shape {
        name: NAMES[5],
        entries,
        origins: vec![
            format!("https://pr-1.example.com:{}", port(0)),
            format!("https://pr-1.example.com:{}", port(n / 2)),
            format!("https://pr-1.example.com:{}", port(n.saturating_sub(1))),
            "https://pr-1.example.com".to_owned(),
        ],
    }
}

/// Every shape at `n` entries.
pub fn all(n: usize) -> Vec<Shape> {
    vec![
        same_host_many_ports(n),
        duplicates(n),
        wildcard_many_ports(n),
        wildcard_bases_over_one_host(n),
        label_wildcards_over_one_suffix(n),
        label_wildcard_many_ports(n),
    ]
}

/// The shape with index `which % 6` at `n` entries, for the fuzz targets.
pub fn nth(which: usize, n: usize) -> Shape {
    match which % NAMES.len() {
        0 => same_host_many_ports(n),
        1 => duplicates(n),
        2 => wildcard_many_ports(n),
        3 => wildcard_bases_over_one_host(n),
        4 => label_wildcards_over_one_suffix(n),
        _ => label_wildcard_many_ports(n),
    }
}

/// The builder of `shape`'s entries, all in [`Mode::Live`].
pub fn builder(shape: &Shape) -> origin_policy::PolicyBuilder {
    let mut builder = origin_policy::Policy::builder();
    for entry in &shape.entries {
        builder.allow(Mode::Live, entry);
    }
    builder
}

/// What the `build_policy` fuzz target asserts on a worst shape: the shape picked by
/// `data[0]`, of `1..=600` entries by `data[1..3]`, builds, and the index agrees with the
/// naive reference matcher on the shape's origins and on `data[3..]` read as an origin.
pub fn fuzz(data: &[u8]) {
    let [which, high, low, rest @ ..] = data else {
        return;
    };
    let n = usize::from(u16::from_be_bytes([*high, *low])) % 600 + 1;
    let shape = nth(usize::from(*which), n);
    let policy = builder(&shape).build().expect("every shape builds");
    let extra = std::str::from_utf8(rest).ok().map(str::to_owned);
    for origin in shape.origins.iter().chain(extra.iter()) {
        let indexed = policy.check(Mode::Live, origin).to_string();
        let naive = crate::reference::check(&policy, Mode::Live, origin).to_string();
        assert_eq!(indexed, naive, "{} of {n}: {origin:?}", shape.name);
    }
}

//! Check latency: hits and misses at several policy sizes, against `url::Url::parse` alone.
//!
//! `cargo bench --bench check`. Numbers and the machine go to BENCHMARKS.md.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use origin_policy::{Mode, Policy};

/// A deterministic policy of `n` live rules: mostly exact hosts, some wildcards and ports.
fn policy(n: usize) -> Policy {
    let mut builder = Policy::builder();
    for i in 0..n {
        let pattern = match i % 10 {
            0..=6 => format!("https://app{i}.tenant{}.example.com", i / 7),
            7 | 8 => format!("https://*.tenant{i}.example.com"),
            _ => format!("https://app{i}.tenant{i}.example.com:8443"),
        };
        builder.allow(Mode::Live, &pattern);
    }
    builder.allow(Mode::Live, "https://www.berbix.com");
    builder.allow(Mode::Live, "https://*.berbix.com");
    builder.build().expect("generated rules are valid")
}

fn check(c: &mut Criterion) {
    let cases = [
        ("hit_exact", "https://www.berbix.com"),
        ("hit_wildcard_depth3", "https://one.two.three.berbix.com"),
        ("miss_host", "https://evil.example.net"),
        ("miss_suffix", "https://barberbix.com"),
    ];
    let mut group = c.benchmark_group("check");
    for n in [10, 1_000, 100_000] {
        let policy = policy(n);
        for (name, origin) in cases {
            group.bench_with_input(BenchmarkId::new(name, n), origin, |b, origin| {
                b.iter(|| policy.check(Mode::Live, black_box(origin)).is_allowed())
            });
        }
    }
    group.finish();

    let mut floor = c.benchmark_group("floor");
    floor.bench_function("url_parse", |b| {
        b.iter(|| url::Url::parse(black_box("https://one.two.three.berbix.com")).is_ok())
    });
    floor.finish();
}

criterion_group!(benches, check);
criterion_main!(benches);

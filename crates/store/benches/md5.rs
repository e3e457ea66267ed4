//! The ETags of a batch of sixteen 4 KiB bodies (a PutObject burst the store's writer
//! commits together): side by side with `md5_many`, and one after another with the `md-5`
//! crate. Throughput is per byte of body.

#![allow(missing_docs, reason = "criterion macros generate undocumented items")]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use md5::Digest as _;
use roleplay_store::md5_many;

fn bodies(n: usize, len: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|s| (0..len).map(|i| ((i * 31 + s * 7) % 251) as u8).collect())
        .collect()
}

fn batch(c: &mut Criterion) {
    let bodies = bodies(16, 4096);
    let refs: Vec<&[u8]> = bodies.iter().map(Vec::as_slice).collect();
    let mut group = c.benchmark_group("md5 of 16 x 4 KiB");
    group.throughput(Throughput::Bytes((16 * 4096) as u64));
    group.bench_function("md5_many", |b| b.iter(|| md5_many(black_box(&refs))));
    group.bench_function("one by one", |b| {
        b.iter(|| {
            refs.iter()
                .map(|body| <[u8; 16]>::from(md5::Md5::digest(black_box(body))))
                .collect::<Vec<_>>()
        })
    });
    group.finish();
}

criterion_group!(benches, batch);
criterion_main!(benches);

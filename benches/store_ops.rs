//! In-process benchmarks of the store operations (criterion).
//!
//!     cargo bench --bench store_ops
//!
//! Sizes come from TOKENSTORE_BENCH_SIZES (default "1000,100000"; add
//! 1000000 for the large runs). MySQL and PostgreSQL join at 100,000
//! tokens when TOKENSTORE_TEST_MYSQL_URI / TOKENSTORE_TEST_PG_URI name a
//! server (benches/run.sh starts both).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use tokenstore::store::{self, TokenStoreExt};
use tokenstore::token::Token;
use tokenstore::uri::StoreUri;

fn token(n: usize) -> Token {
    Token::from_fields([
        Some(n.to_string()),
        Some(format!("user{n}@example.com")),
        Some("1000.CLIENT".into()),
        Some("s".repeat(40)),
        Some(format!("1000.rt.{n:08}.{}", "r".repeat(60))),
        Some(format!("1000.at.{n:08}.{}", "a".repeat(60))),
        None,
        Some((1_767_225_600_000u64 + n as u64).to_string()),
        Some("https://app.example.com/cb".into()),
        Some("https://www.zohoapis.com".into()),
    ])
}

fn sizes() -> Vec<usize> {
    std::env::var("TOKENSTORE_BENCH_SIZES")
        .unwrap_or_else(|_| "1000,100000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

/// The stores to measure at `n` tokens: (name, URI).
fn stores(n: usize, dir: &std::path::Path) -> Vec<(String, String)> {
    let mut all = vec![
        ("memory".to_string(), "memory:".to_string()),
        (
            "file".into(),
            format!("file:{}", dir.join(format!("b{n}.csv")).display()),
        ),
        (
            "sqlite".into(),
            format!("sqlite:{}", dir.join(format!("b{n}.db")).display()),
        ),
    ];
    if n == 100_000 {
        for (name, variable) in [
            ("mysql", "TOKENSTORE_TEST_MYSQL_URI"),
            ("postgres", "TOKENSTORE_TEST_PG_URI"),
        ] {
            if let Ok(base) = std::env::var(variable) {
                let separator = if base.contains('?') { '&' } else { '?' };
                all.push((
                    name.into(),
                    format!("{base}{separator}table=bench_{n}_{}", std::process::id()),
                ));
            }
        }
    }
    all
}

fn store_ops(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    for n in sizes() {
        let tokens: Vec<Token> = (1..=n).map(token).collect();
        for (name, uri) in stores(n, dir.path()) {
            let mut store = store::open(&StoreUri::parse(&uri).unwrap()).unwrap();
            store.put_tokens(&tokens).unwrap();
            let mid = n / 2 + 1;
            let by_user = Token::from_fields([
                None,
                Some(format!("user{mid}@example.com")),
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            ]);
            let by_refresh = {
                let t = token(mid);
                Token {
                    id: None,
                    user_name: None,
                    access_token: None,
                    ..t
                }
            };
            let mut group = c.benchmark_group(format!("{name}/{n}"));
            if n >= 100_000 && name != "memory" {
                group
                    .sample_size(10)
                    .measurement_time(Duration::from_secs(5));
            }
            group.bench_function("find_token_by_id", |b| {
                b.iter(|| black_box(store.find_token_by_id(&mid.to_string()).unwrap()))
            });
            group.bench_function("find_token (user_name)", |b| {
                b.iter(|| black_box(store.find_token(&by_user).unwrap()))
            });
            group.bench_function("find_token (refresh_token)", |b| {
                b.iter(|| black_box(store.find_token(&by_refresh).unwrap()))
            });
            group.bench_function("save_token (update)", |b| {
                let mut update = by_user.clone();
                update.access_token = Some(tokenstore::secret::Secret::new("fresh"));
                b.iter(|| black_box(store.save_token(&update).unwrap()))
            });
            group.finish();
            if name == "mysql" || name == "postgres" {
                let _ = store.delete_tokens();
            }
        }
    }
}

criterion_group!(benches, store_ops);
criterion_main!(benches);

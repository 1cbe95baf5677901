//! `Trials::ranked` and every binary metric on 10 million random trials.
//!
//! `cargo bench -p fakescope-metrics --bench metrics` first prints plain timings of each step
//! (two runs), then lets criterion time the whole evaluation and the sort alone; with
//! `PLAIN_ONLY=1` it stops after the plain timings.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use fakescope_metrics::cllr::{cllr, min_cllr_ranked};
use fakescope_metrics::dcf::{DcfParams, act_dcf, min_dcf};
use fakescope_metrics::eer::{eer_asvspoof, eer_deepfakebench};
use fakescope_metrics::roc::{average_precision, roc_auc};
use fakescope_metrics::threshold::{accuracy, balanced_accuracy, tpr_at_fpr};
use fakescope_metrics::{Ranked, Trials};

const N: usize = 10_000_000;

/// 10 M trials, a third fake: real ~ N(0, 1), fake ~ N(1, 1) (SplitMix64 + Box-Muller).
fn random_trials() -> Trials {
    let mut state = 0x5EED_u64;
    let mut uniform = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let mut scores = Vec::with_capacity(N);
    let mut fake = Vec::with_capacity(N);
    for _ in 0..N {
        let is_fake = uniform() < 1.0 / 3.0;
        let normal = (-2.0 * uniform().ln()).sqrt() * (std::f64::consts::TAU * uniform()).cos();
        scores.push(normal + if is_fake { 1.0 } else { 0.0 });
        fake.push(is_fake);
    }
    Trials::new(scores, fake).expect("finite scores")
}

/// Every metric of the issue on one sorted view; returns a checksum so nothing is optimised out.
fn all_metrics(trials: &Trials, ranked: &Ranked<'_>) -> f64 {
    let params = DcfParams::default();
    let mut sum = roc_auc(ranked).unwrap() + average_precision(ranked).unwrap();
    sum += eer_deepfakebench(ranked).unwrap().eer + eer_asvspoof(ranked).unwrap().eer;
    sum += min_dcf(ranked, params).unwrap().dcf + act_dcf(trials, params).unwrap().dcf;
    sum += cllr(trials).unwrap() + min_cllr_ranked(ranked).unwrap();
    for max_fpr in [0.01, 0.05, 0.1] {
        sum += tpr_at_fpr(ranked, max_fpr).unwrap();
    }
    sum + accuracy(trials, 0.5).unwrap() + balanced_accuracy(trials, 0.5).unwrap()
}

fn time<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = black_box(f());
    println!("{what:>28}: {:8.1} ms", start.elapsed().as_secs_f64() * 1e3);
    out
}

/// One plain run of each step.
fn plain_timings(trials: &Trials) {
    let params = DcfParams::default();
    println!(
        "plain timings, {N} trials, {} threads",
        rayon::current_num_threads()
    );
    let total = Instant::now();
    let ranked = time("ranked", || trials.ranked());
    time("roc_auc", || roc_auc(&ranked).unwrap());
    time("average_precision", || average_precision(&ranked).unwrap());
    time("eer_deepfakebench", || eer_deepfakebench(&ranked).unwrap());
    time("eer_asvspoof", || eer_asvspoof(&ranked).unwrap());
    time("min_dcf", || min_dcf(&ranked, params).unwrap());
    time("act_dcf", || act_dcf(trials, params).unwrap());
    time("cllr", || cllr(trials).unwrap());
    time("min_cllr (ranked)", || min_cllr_ranked(&ranked).unwrap());
    time("tpr_at_fpr x3", || {
        [0.01, 0.05, 0.1].map(|x| tpr_at_fpr(&ranked, x).unwrap())
    });
    time("accuracy", || accuracy(trials, 0.5).unwrap());
    time("balanced_accuracy", || {
        balanced_accuracy(trials, 0.5).unwrap()
    });
    println!(
        "{:>28}: {:8.1} ms ({} distinct scores)",
        "total",
        total.elapsed().as_secs_f64() * 1e3,
        ranked.n_groups()
    );
}

fn bench(c: &mut Criterion) {
    let trials = random_trials();
    plain_timings(&trials);
    plain_timings(&trials);
    if std::env::var_os("PLAIN_ONLY").is_some() {
        return;
    }
    let mut group = c.benchmark_group("10M trials");
    group.sample_size(10);
    group.bench_function("ranked + every metric", |b| {
        b.iter(|| {
            let ranked = trials.ranked();
            all_metrics(&trials, &ranked)
        })
    });
    group.bench_function("ranked", |b| b.iter(|| trials.ranked().n_groups()));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

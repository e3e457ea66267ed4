use roleplay_bench::rss::{stat_cpu_ticks, status_kib};
use roleplay_bench::stats::{Summary, percentile, summarize};

#[test]
fn nearest_rank_percentiles() {
    let sorted: Vec<u32> = (1..=1000).collect();
    assert_eq!(percentile(&sorted, 50.0), 500);
    assert_eq!(percentile(&sorted, 99.0), 990);
    assert_eq!(percentile(&sorted, 99.9), 999);
    assert_eq!(percentile(&sorted, 100.0), 1000);
    assert_eq!(percentile(&[7], 99.9), 7);
    assert_eq!(percentile(&[], 50.0), 0);
    // With 10 samples, p99 and p99.9 are the largest one.
    let ten: Vec<u32> = (1..=10).collect();
    assert_eq!(percentile(&ten, 99.0), 10);
    assert_eq!(percentile(&ten, 50.0), 5);
}

#[test]
fn summary_sorts_and_averages() {
    let mut samples = vec![30, 10, 20, 40];
    let s = summarize(&mut samples);
    assert_eq!(
        s,
        Summary {
            count: 4,
            p50: 20,
            p99: 40,
            p999: 40,
            max: 40,
            mean: 25
        }
    );
    assert_eq!(samples, vec![10, 20, 30, 40]);
    assert_eq!(summarize(&mut []), Summary::default());
}

#[test]
fn proc_status_fields() {
    let status = "Name:\troleplay\nVmPeak:\t  900000 kB\nVmHWM:\t   20480 kB\nVmRSS:\t   12345 kB\nThreads:\t3\n";
    assert_eq!(status_kib(status, "VmRSS"), Some(12345));
    assert_eq!(status_kib(status, "VmHWM"), Some(20480));
    assert_eq!(status_kib(status, "Threads"), None);
    assert_eq!(status_kib(status, "VmSwap"), None);
}

#[test]
fn own_rss_is_readable() {
    let r = roleplay_bench::rss::read(std::process::id()).unwrap();
    assert!(r.current_kib > 0 && r.peak_kib >= r.current_kib);
}

#[test]
fn proc_stat_cpu_time() {
    // The name may hold spaces and parentheses; utime (14) and stime (15) follow it.
    let stat =
        "4242 (tokio (rt) x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 75 0 0 20 0 3 0 100 0 0";
    assert_eq!(stat_cpu_ticks(stat), Some(325));
    assert_eq!(stat_cpu_ticks("garbage"), None);
    assert!(roleplay_bench::rss::cpu_micros(std::process::id()).is_some());
}

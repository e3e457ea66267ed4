//! The server's resident memory, from `/proc/PID/status`.

/// The value in KiB of a `Name:   1234 kB` line of a `/proc/PID/status` text.
#[must_use]
pub fn status_kib(status: &str, field: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let value = line.strip_prefix(field)?.strip_prefix(':')?;
        value.trim().strip_suffix("kB")?.trim().parse().ok()
    })
}

/// Current (`VmRSS`) and peak (`VmHWM`) resident memory of `pid`, in KiB.
#[must_use]
pub fn read(pid: u32) -> Option<Rss> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    Some(Rss {
        current_kib: status_kib(&text, "VmRSS")?,
        peak_kib: status_kib(&text, "VmHWM")?,
    })
}

/// Resident memory of a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rss {
    /// `VmRSS`, KiB.
    pub current_kib: u64,
    /// `VmHWM`, the high-water mark since the process started, KiB.
    pub peak_kib: u64,
}

/// User plus system CPU time of a process from the text of `/proc/PID/stat`, in clock ticks
/// (USER_HZ, 100 per second on Linux). The command name may hold spaces and parentheses, so
/// fields are counted after its last `)`.
#[must_use]
pub fn stat_cpu_ticks(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(')')?;
    // After the name: state is field 3; utime and stime are fields 14 and 15.
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// CPU time used so far by `pid`, in microseconds.
#[must_use]
pub fn cpu_micros(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat_cpu_ticks(&text).map(|t| t * 10_000)
}

//! The endpoint to load: loopback only.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// A parsed, checked endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Where to connect.
    pub addr: SocketAddr,
    /// The `host` header to send (and sign): the authority as given.
    pub host: String,
}

/// Parses `http://HOST[:PORT][/]` and accepts it only when HOST is a loopback address:
/// an IPv4 address in 127.0.0.0/8, `::1`, or `localhost` (taken as 127.0.0.1, never resolved).
/// Anything else (another host, a name, `https`, a path) is refused with the reason.
pub fn parse_endpoint(url: &str) -> Result<Endpoint, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url}: only plain http:// endpoints are supported"))?;
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty() || authority.contains(['/', '?', '#', '@']) {
        return Err(format!("{url}: expected http://HOST:PORT with no path"));
    }
    let (host, port) = split_host_port(authority).ok_or_else(|| format!("{url}: bad authority"))?;
    let ip: IpAddr = if host.eq_ignore_ascii_case("localhost") {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        host.parse()
            .map_err(|_| format!("{url}: the host must be a loopback IP address or localhost"))?
    };
    if !is_loopback(ip) {
        return Err(format!(
            "{url}: refusing a non-loopback target; only 127.0.0.0/8 and ::1 may be loaded"
        ));
    }
    Ok(Endpoint {
        addr: SocketAddr::new(ip, port),
        host: authority.to_owned(),
    })
}

/// 127.0.0.0/8 or `::1` (an IPv4-mapped `::ffff:127.x` is not accepted).
#[must_use]
pub fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.octets().first() == Some(&127),
        IpAddr::V6(v6) => v6.is_loopback(),
    }
}

fn split_host_port(authority: &str) -> Option<(&str, u16)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after {
            "" => 80,
            p => p.strip_prefix(':')?.parse().ok()?,
        };
        return Some((host, port));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => Some((host, port.parse().ok()?)),
        Some(_) => None, // a bare IPv6 address needs brackets
        None => Some((authority, 80)),
    }
}

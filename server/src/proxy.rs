//! Which address a request came from when it passes through reverse proxies.
//!
//! Each proxy appends the address it received the request from to `X-Forwarded-For`, so only
//! the entries added by proxies we run can be believed: everything to their left was written by
//! the client and may be forged. Reading from the right, past our own proxies, gives the first
//! address no one we trust could have made up.

use ipnet::IpNet;
use std::net::IpAddr;

/// How far `X-Forwarded-For` is believed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ProxyTrust {
    /// No proxy: the connection's address is the client's, and the header is ignored.
    #[default]
    None,
    /// This many proxies stand in front of the server (the nearest is the connection itself).
    Hops(usize),
    /// Requests may pass through proxies at these addresses, in any number.
    Proxies(Vec<IpNet>),
}

impl ProxyTrust {
    /// From `GUANXI_TRUSTED_PROXIES` (addresses or networks, comma separated) or
    /// `GUANXI_PROXY_HOPS`; at most one of them may be set.
    ///
    /// Errors: a message naming the variable and the entry it could not read.
    pub fn parse(proxies: Option<&str>, hops: Option<&str>) -> Result<Self, String> {
        match (proxies, hops) {
            (Some(_), Some(_)) => {
                Err("set GUANXI_TRUSTED_PROXIES or GUANXI_PROXY_HOPS, not both".to_owned())
            }
            (Some(list), None) => list
                .split(',')
                .map(str::trim)
                .filter(|entry| !entry.is_empty())
                .map(|entry| {
                    entry
                        .parse::<IpNet>()
                        .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                        .map_err(|_| {
                            format!(
                                "GUANXI_TRUSTED_PROXIES: {entry:?} is not an address or network"
                            )
                        })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(ProxyTrust::Proxies),
            (None, Some(hops)) => match hops.trim().parse::<usize>() {
                Ok(0) => Ok(ProxyTrust::None),
                Ok(n) => Ok(ProxyTrust::Hops(n)),
                Err(_) => Err(format!("GUANXI_PROXY_HOPS={hops} is not a number")),
            },
            (None, None) => Ok(ProxyTrust::None),
        }
    }

    /// The client's address, given the connection's address and the `X-Forwarded-For` values
    /// in the order they arrived.
    pub fn client_address<'a>(
        &self,
        peer: IpAddr,
        forwarded_for: impl IntoIterator<Item = &'a str>,
    ) -> IpAddr {
        if *self == ProxyTrust::None {
            return peer;
        }
        // The chain as the nearest proxy saw it: oldest entry first, the connection last.
        let entries: Vec<&str> = forwarded_for
            .into_iter()
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .collect();
        let mut believed = peer;
        for (trusted_so_far, entry) in entries.iter().rev().enumerate() {
            let proxy_in_front = match self {
                ProxyTrust::None => false,
                ProxyTrust::Hops(hops) => trusted_so_far < *hops,
                ProxyTrust::Proxies(networks) => networks.iter().any(|n| n.contains(&believed)),
            };
            if !proxy_in_front {
                break;
            }
            // `believed` is one of our proxies, so the entry it appended is true; a garbled one
            // ends the chain at the proxy itself.
            match parse_entry(entry) {
                Some(address) => believed = address,
                None => break,
            }
        }
        believed
    }
}

/// An `X-Forwarded-For` entry: an address, possibly with a port (`[::1]:443`, `1.2.3.4:80`).
fn parse_entry(entry: &str) -> Option<IpAddr> {
    entry
        .parse()
        .ok()
        .or_else(|| entry.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| entry.trim_start_matches('[').trim_end_matches(']').parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trust_the_header_is_ignored() {
        let trust = ProxyTrust::None;
        assert_eq!(trust.client_address(ip("203.0.113.9"), ["1.1.1.1"]), ip("203.0.113.9"));
    }

    #[test]
    fn one_hop_believes_only_the_entry_its_proxy_appended() {
        let trust = ProxyTrust::Hops(1);
        let proxy = ip("10.0.0.2");
        // The client forged a left-most entry; the proxy appended the real address.
        assert_eq!(trust.client_address(proxy, ["6.6.6.6, 198.51.100.7"]), ip("198.51.100.7"));
        // Several header lines count as one list.
        assert_eq!(trust.client_address(proxy, ["6.6.6.6", "198.51.100.7"]), ip("198.51.100.7"));
        // No header: the proxy was reached directly.
        assert_eq!(trust.client_address(proxy, []), proxy);
    }

    #[test]
    fn two_hops_skip_both_proxies() {
        let trust = ProxyTrust::Hops(2);
        let near = ip("10.0.0.2");
        let chain = ["6.6.6.6, 198.51.100.7, 10.0.0.1"];
        assert_eq!(trust.client_address(near, chain), ip("198.51.100.7"));
    }

    #[test]
    fn listed_proxies_are_skipped_in_any_number_and_forgeries_stop_at_the_first_stranger() {
        let trust = ProxyTrust::parse(Some("10.0.0.0/8, 192.168.1.5"), None).unwrap();
        let near = ip("10.0.0.2");
        assert_eq!(
            trust.client_address(near, ["6.6.6.6, 198.51.100.7, 192.168.1.5, 10.1.2.3"]),
            ip("198.51.100.7")
        );
        // A connection from outside the list is the client, whatever its header says.
        assert_eq!(trust.client_address(ip("198.51.100.7"), ["1.2.3.4"]), ip("198.51.100.7"));
        // A client cannot pass as a proxy by naming a listed address on the left.
        assert_eq!(trust.client_address(near, ["10.9.9.9, 198.51.100.7"]), ip("198.51.100.7"));
    }

    #[test]
    fn garbled_entries_stop_at_the_proxy_that_passed_them_and_ports_are_read() {
        let trust = ProxyTrust::Hops(1);
        assert_eq!(trust.client_address(ip("10.0.0.2"), ["not-an-ip"]), ip("10.0.0.2"));
        assert_eq!(trust.client_address(ip("10.0.0.2"), ["198.51.100.7:5123"]), ip("198.51.100.7"));
        assert_eq!(trust.client_address(ip("10.0.0.2"), ["[2001:db8::1]:443"]), ip("2001:db8::1"));
    }

    #[test]
    fn settings_are_read_or_refused_with_the_reason() {
        assert_eq!(ProxyTrust::parse(None, Some("2")), Ok(ProxyTrust::Hops(2)));
        assert_eq!(ProxyTrust::parse(None, None), Ok(ProxyTrust::None));
        assert!(ProxyTrust::parse(Some("10.0.0.0/8"), Some("1")).is_err());
        assert!(ProxyTrust::parse(Some("nonsense"), None).unwrap_err().contains("nonsense"));
    }
}

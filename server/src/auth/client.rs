//! The address of the client behind a request, for per-client sign-in throttling.
//!
//! `X-Forwarded-For` is only believed when the request comes from a trusted proxy, and then only
//! as far as the chain of trusted proxies goes: the client is the right-most address that is not
//! itself a trusted proxy. Anything a client writes into the header before that is ignored, so a
//! client cannot pick its own throttling key.

use std::net::IpAddr;

use ipnet::IpNet;

/// The client address: the peer, or what trusted proxies say the peer is relaying for.
pub fn client_address(
    peer: Option<IpAddr>,
    forwarded_for: &[&str],
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    // Later headers and later entries were appended by proxies nearer to us.
    let hops: Vec<&str> = forwarded_for
        .iter()
        .flat_map(|header| header.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            // An unparsable hop: stop at the last address a trusted proxy vouched for.
            Err(_) => break,
        }
    }
    Some(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn untrusted_peers_are_the_client_whatever_they_claim() {
        let got = client_address(Some(ip("198.51.100.7")), &["203.0.113.9"], &nets(&[]));
        assert_eq!(got, Some(ip("198.51.100.7")));
        let got = client_address(
            Some(ip("198.51.100.7")),
            &["203.0.113.9"],
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(got, Some(ip("198.51.100.7")));
    }

    #[test]
    fn trusted_proxies_are_skipped_from_the_right() {
        let trusted = nets(&["10.0.0.0/8"]);
        // client → (spoofed entry) → real client → proxy 10.1.1.1 → proxy 10.2.2.2 → us
        let got = client_address(
            Some(ip("10.2.2.2")),
            &["1.2.3.4, 203.0.113.9", "10.1.1.1"],
            &trusted,
        );
        assert_eq!(got, Some(ip("203.0.113.9")));
    }

    #[test]
    fn a_trusted_peer_without_a_header_is_the_client() {
        let got = client_address(Some(ip("10.2.2.2")), &[], &nets(&["10.0.0.0/8"]));
        assert_eq!(got, Some(ip("10.2.2.2")));
    }

    #[test]
    fn garbage_stops_the_walk() {
        let trusted = nets(&["10.0.0.0/8"]);
        let got = client_address(
            Some(ip("10.2.2.2")),
            &["203.0.113.9, junk, 10.1.1.1"],
            &trusted,
        );
        assert_eq!(got, Some(ip("10.1.1.1")));
        let got = client_address(Some(ip("::1")), &["2001:db8::5"], &nets(&["::1/128"]));
        assert_eq!(got, Some(ip("2001:db8::5")));
    }
}

//! Who is asking, as every per-client budget counts clients: an IPv4
//! address, or the /64 prefix of an IPv6 address (one subscriber usually
//! holds a whole /64, so counting its single addresses would count nothing).
//! An IPv4 address written as IPv6 (`::ffff:192.0.2.1`) is the IPv4 address.

use std::net::IpAddr;

/// The client `ip` belongs to: the address itself for IPv4, its /64 for IPv6.
pub fn client_prefix(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(bits.into())
            }
        },
    }
}

/// The budget subject of a client, as the counters key it (hashed):
/// `203.0.113.7`, or `2001:db8:1:2::/64`.
pub fn ip_subject(ip: IpAddr) -> String {
    match client_prefix(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_an_ipv4_address_or_an_ipv6_64() {
        let subject = |ip: &str| ip_subject(ip.parse().unwrap());
        assert_eq!(subject("203.0.113.7"), "203.0.113.7");
        assert_eq!(subject("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(subject("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(
            subject("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            subject("2001:db8:1:2::9")
        );
        assert_ne!(subject("2001:db8:1:3::1"), subject("2001:db8:1:2::1"));
    }
}

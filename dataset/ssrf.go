package dataset

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// ErrBlockedAddress is wrapped by errors for connections the Guard refuses.
var ErrBlockedAddress = errors.New("address not allowed")

// A Guard decides which IP addresses the Downloader may connect to. Its
// zero value allows only public unicast addresses: it refuses loopback,
// private (RFC 1918, IPv6 ULA), carrier-grade NAT, link-local (which holds
// the 169.254.169.254 cloud metadata service), multicast, unspecified and
// reserved addresses, and IPv6 forms that embed such an IPv4 address
// (IPv4-mapped, NAT64, 6to4).
//
// The check runs on the resolved address of every connection (through
// net.Dialer.Control), so a public name that resolves to a private
// address, DNS rebinding and redirects to internal hosts are all refused.
type Guard struct {
	// AllowLoopback permits 127.0.0.0/8 and ::1 (tests serving from
	// httptest use it).
	AllowLoopback bool
	// AllowPrivate permits RFC 1918, carrier-grade NAT and IPv6 unique
	// local addresses (an intranet image store). Link-local and metadata
	// addresses stay refused.
	AllowPrivate bool
	// Allow lists prefixes permitted whatever the rules above say.
	Allow []netip.Prefix
}

var (
	cgnat      = netip.MustParsePrefix("100.64.0.0/10")
	thisNet    = netip.MustParsePrefix("0.0.0.0/8")
	reserved4  = netip.MustParsePrefix("240.0.0.0/4")
	benchmark  = netip.MustParsePrefix("198.18.0.0/15")
	ietf       = netip.MustParsePrefix("192.0.0.0/24")
	testNets   = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("203.0.113.0/24")}
	nat64      = netip.MustParsePrefix("64:ff9b::/96")
	nat64Local = netip.MustParsePrefix("64:ff9b:1::/48")
	sixToFour  = netip.MustParsePrefix("2002::/16")
	teredo     = netip.MustParsePrefix("2001::/32")
	doc6       = netip.MustParsePrefix("2001:db8::/32")
	// Cloud metadata services outside link-local space.
	metadata = []netip.Addr{netip.MustParseAddr("100.100.100.200"), netip.MustParseAddr("fd00:ec2::254")}
)

// Check reports whether the guard permits connecting to ip, with an error
// wrapping ErrBlockedAddress when it does not.
func (g *Guard) Check(ip netip.Addr) error {
	ip = ip.WithZone("")
	for _, p := range g.Allow {
		if p.Contains(ip) || (ip.Is4In6() && p.Contains(ip.Unmap())) {
			return nil
		}
	}
	if reason := g.blocked(ip); reason != "" {
		return fmt.Errorf("%w: %s is %s", ErrBlockedAddress, ip, reason)
	}
	return nil
}

func (g *Guard) blocked(ip netip.Addr) string {
	if !ip.IsValid() {
		return "invalid"
	}
	if ip.Is4In6() {
		return g.blocked(ip.Unmap())
	}
	for _, m := range metadata {
		if ip == m {
			return "a cloud metadata address"
		}
	}
	switch {
	case ip.IsLoopback():
		if !g.AllowLoopback {
			return "loopback"
		}
		return ""
	case ip.IsUnspecified() || (ip.Is4() && thisNet.Contains(ip)):
		return "unspecified"
	case ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast():
		return "link-local"
	case ip.IsMulticast() || ip.IsInterfaceLocalMulticast():
		return "multicast"
	case ip.IsPrivate() || cgnat.Contains(ip):
		if !g.AllowPrivate {
			return "private"
		}
		return ""
	}
	if ip.Is4() {
		if ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}) || reserved4.Contains(ip) || benchmark.Contains(ip) || ietf.Contains(ip) {
			return "reserved"
		}
		for _, p := range testNets {
			if p.Contains(ip) {
				return "reserved"
			}
		}
		return ""
	}
	// IPv6 forms that embed an IPv4 address are judged by that address.
	b := ip.As16()
	switch {
	case nat64.Contains(ip):
		return g.blocked(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	case sixToFour.Contains(ip):
		return g.blocked(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
	case nat64Local.Contains(ip), teredo.Contains(ip), doc6.Contains(ip):
		return "reserved"
	}
	return ""
}

// Control is a net.Dialer.Control hook: it refuses the connection when the
// address being dialled is not allowed.
func (g *Guard) Control(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBlockedAddress, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: %q is not an IP address", ErrBlockedAddress, host)
	}
	return g.Check(ip)
}

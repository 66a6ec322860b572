package dataset

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGuard(t *testing.T) {
	tests := []struct {
		ip      string
		blocked bool
		guard   Guard
	}{
		{ip: "93.184.216.34"},
		{ip: "2606:2800:220:1:248:1893:25c8:1946"},
		{ip: "8.8.8.8"},
		{ip: "127.0.0.1", blocked: true},
		{ip: "127.1.2.3", blocked: true},
		{ip: "::1", blocked: true},
		{ip: "::ffff:127.0.0.1", blocked: true},
		{ip: "127.0.0.1", guard: Guard{AllowLoopback: true}},
		{ip: "::1", guard: Guard{AllowLoopback: true}},
		{ip: "10.1.2.3", blocked: true},
		{ip: "172.16.0.1", blocked: true},
		{ip: "172.31.255.255", blocked: true},
		{ip: "172.32.0.1"},
		{ip: "192.168.1.1", blocked: true},
		{ip: "100.64.0.1", blocked: true},
		{ip: "100.127.255.255", blocked: true},
		{ip: "10.1.2.3", guard: Guard{AllowPrivate: true}},
		{ip: "100.64.0.1", guard: Guard{AllowPrivate: true}},
		{ip: "fd12:3456::1", blocked: true},
		{ip: "fd12:3456::1", guard: Guard{AllowPrivate: true}},
		{ip: "169.254.169.254", blocked: true},
		{ip: "169.254.169.254", blocked: true, guard: Guard{AllowPrivate: true, AllowLoopback: true}},
		{ip: "169.254.169.254", guard: Guard{Allow: []netip.Prefix{netip.MustParsePrefix("169.254.169.254/32")}}},
		{ip: "100.100.100.200", blocked: true, guard: Guard{AllowPrivate: true}},
		{ip: "fd00:ec2::254", blocked: true, guard: Guard{AllowPrivate: true}},
		{ip: "fe80::1", blocked: true},
		{ip: "fe80::1%eth0", blocked: true},
		{ip: "0.0.0.0", blocked: true},
		{ip: "0.1.2.3", blocked: true},
		{ip: "::", blocked: true},
		{ip: "224.0.0.1", blocked: true},
		{ip: "ff02::1", blocked: true},
		{ip: "255.255.255.255", blocked: true},
		{ip: "240.0.0.1", blocked: true},
		{ip: "198.18.0.1", blocked: true},
		{ip: "192.0.2.1", blocked: true},
		{ip: "64:ff9b::a9fe:a9fe", blocked: true}, // NAT64 of 169.254.169.254
		{ip: "64:ff9b::808:808"},                  // NAT64 of 8.8.8.8
		{ip: "2002:7f00:1::1", blocked: true},     // 6to4 of 127.0.0.1
		{ip: "2002:0a00:1::1", blocked: true},     // 6to4 of 10.0.0.1
		{ip: "2001:db8::1", blocked: true},
	}
	for _, tt := range tests {
		ip := netip.MustParseAddr(tt.ip)
		err := tt.guard.Check(ip)
		if tt.blocked {
			require.ErrorIs(t, err, ErrBlockedAddress, "%s %+v", tt.ip, tt.guard)
		} else {
			require.NoError(t, err, "%s %+v", tt.ip, tt.guard)
		}
	}
}

func TestGuardControl(t *testing.T) {
	var g Guard
	assert.ErrorIs(t, g.Control("tcp", "127.0.0.1:80", nil), ErrBlockedAddress)
	assert.ErrorIs(t, g.Control("tcp6", "[::1]:80", nil), ErrBlockedAddress)
	assert.ErrorIs(t, g.Control("tcp", "example.com:80", nil), ErrBlockedAddress, "names must be resolved before the hook")
	assert.ErrorIs(t, g.Control("tcp", "garbage", nil), ErrBlockedAddress)
	assert.NoError(t, g.Control("tcp", "93.184.216.34:443", nil))
}

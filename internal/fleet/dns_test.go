package fleet

import (
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// dnsServer answers A queries for one name with several addresses, as the DNS of a
// Kubernetes headless Service answers for a gateway tier: one address per pod. Every
// other question gets an empty answer.
type dnsServer struct {
	conn    net.PacketConn
	name    string // fully qualified, lower case
	addrs   []netip.Addr
	queries atomic.Int64 // A queries for name answered
}

// startDNS serves name -> addrs on a loopback UDP port until the test ends.
func startDNS(t *testing.T, name string, addrs ...netip.Addr) *dnsServer {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &dnsServer{conn: conn, name: strings.ToLower(strings.TrimSuffix(name, ".")) + ".", addrs: addrs}
	t.Cleanup(func() { conn.Close() })
	go s.serve()
	return s
}

// addr is the server's host:port, the authority of a dns://host:port/name target.
func (s *dnsServer) addr() string { return s.conn.LocalAddr().String() }

func (s *dnsServer) serve() {
	buf := make([]byte, 1500)
	for {
		n, from, err := s.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		if resp, ok := s.answer(buf[:n]); ok {
			_, _ = s.conn.WriteTo(resp, from)
		}
	}
}

func (s *dnsServer) answer(query []byte) ([]byte, bool) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, false
	}
	q, err := p.Question()
	if err != nil {
		return nil, false
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired})
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil || b.Question(q) != nil || b.StartAnswers() != nil {
		return nil, false
	}
	if q.Type == dnsmessage.TypeA && strings.EqualFold(q.Name.String(), s.name) {
		s.queries.Add(1)
		for _, a := range s.addrs {
			rh := dnsmessage.ResourceHeader{Name: q.Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 5}
			if err := b.AResource(rh, dnsmessage.AResource{A: a.As4()}); err != nil {
				return nil, false
			}
		}
	}
	resp, err := b.Finish()
	return resp, err == nil
}

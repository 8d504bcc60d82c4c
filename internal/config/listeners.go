package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Listener is one entry of Kafka's listeners / advertised.listeners
// ("NAME://host:port").
type Listener struct {
	Name string // listener name, upper case by convention: PLAINTEXT, CONTROLLER
	Host string // "" binds every interface
	Port int    // 0 picks a free port (listen addresses only)
}

// Addr returns host:port, suitable for net.Listen.
func (l Listener) Addr() string { return net.JoinHostPort(l.Host, strconv.Itoa(l.Port)) }

// String renders the listener the way Kafka writes it.
func (l Listener) String() string { return l.Name + "://" + l.Addr() }

// ParseListeners parses a comma-separated Kafka listener list such as
// "PLAINTEXT://:9092,CONTROLLER://0.0.0.0:9093". Names must be unique.
func ParseListeners(s string) ([]Listener, error) {
	var out []Listener
	seen := map[string]bool{}
	for _, part := range splitList(s) {
		name, addr, ok := strings.Cut(part, "://")
		if !ok || name == "" {
			return nil, fmt.Errorf("listener %q: want NAME://host:port", part)
		}
		host, port, err := splitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("listener %q: %v", part, err)
		}
		name = strings.ToUpper(name)
		if seen[name] {
			return nil, fmt.Errorf("listener name %s appears twice", name)
		}
		seen[name] = true
		out = append(out, Listener{Name: name, Host: host, Port: port})
	}
	return out, nil
}

// splitHostPort splits "host:port" or "[v6]:port"; the host may be empty and
// the port must be in [0, 65535].
func splitHostPort(addr string) (string, int, error) {
	host, portS, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("want host:port")
	}
	port, err := strconv.Atoi(portS)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("port %q must be a number in [0, 65535]", portS)
	}
	if strings.ContainsAny(host, " \t,/") {
		return "", 0, fmt.Errorf("host %q is not a host name or address", host)
	}
	return host, port, nil
}

// Voter is one entry of controller.quorum.voters / --voters ("id@host:port").
type Voter struct {
	ID   int32
	Host string
	Port int
}

// Addr returns host:port.
func (v Voter) Addr() string { return net.JoinHostPort(v.Host, strconv.Itoa(v.Port)) }

// String renders the voter as "id@host:port".
func (v Voter) String() string { return strconv.Itoa(int(v.ID)) + "@" + v.Addr() }

// ParseVoters parses "1@host:9093,2@host2:9093". "" is the empty list (this
// node alone). Ids must be unique and >= 0, hosts non-empty and ports in
// [1, 65535].
func ParseVoters(s string) ([]Voter, error) {
	var out []Voter
	ids := map[int32]bool{}
	for _, part := range splitList(s) {
		idS, addr, ok := strings.Cut(part, "@")
		if !ok {
			return nil, fmt.Errorf("voter %q: want id@host:port", part)
		}
		id, err := strconv.ParseInt(idS, 10, 32)
		if err != nil || id < 0 {
			return nil, fmt.Errorf("voter %q: id %q must be an int >= 0", part, idS)
		}
		host, port, err := splitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("voter %q: %v", part, err)
		}
		if host == "" || port == 0 {
			return nil, fmt.Errorf("voter %q: needs a host and a non-zero port", part)
		}
		if ids[int32(id)] {
			return nil, fmt.Errorf("voter id %d appears twice", id)
		}
		ids[int32(id)] = true
		out = append(out, Voter{ID: int32(id), Host: host, Port: port})
	}
	return out, nil
}

// CapReplicationFactor returns min(configured, liveBrokers), and at least 1:
// Kafka creates internal topics (__consumer_offsets, __transaction_state)
// with offsets.topic.replication.factor capped at the live brokers, so that a
// one-node cluster is not stuck on the default of 3.
func CapReplicationFactor(configured int16, liveBrokers int) int16 {
	rf := int(configured)
	if liveBrokers < rf {
		rf = liveBrokers
	}
	if rf < 1 {
		rf = 1
	}
	return int16(rf)
}

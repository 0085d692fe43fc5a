package sandbox

import (
	"fmt"
	"strings"
)

// Fault is a kind of injected failure; see the package documentation.
type Fault string

// The fault kinds.
const (
	FaultISP     Fault = "isp"     // error_response 15 or 50 isp.*, no effect
	FaultHTTP502 Fault = "http502" // HTTP 502 with an HTML body, no effect
	FaultDrop    Fault = "drop"    // connection closed before any effect
	FaultLost    Fault = "lost"    // effect applied, then connection closed
	FaultBan     Fault = "ban"     // code 7 and a ban of BanSeconds
)

// AllFaults returns every fault kind.
func AllFaults() []Fault {
	return []Fault{FaultISP, FaultHTTP502, FaultDrop, FaultLost, FaultBan}
}

// ParseFaults parses a comma-separated list of fault kinds, such as
// "isp,drop". Blank items are skipped; an unknown kind is an error.
func ParseFaults(s string) ([]Fault, error) {
	var out []Fault
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		f := Fault(item)
		switch f {
		case FaultISP, FaultHTTP502, FaultDrop, FaultLost, FaultBan:
			out = append(out, f)
		default:
			return nil, fmt.Errorf("unknown fault kind %q: want isp, http502, drop, lost or ban", item)
		}
	}
	return out, nil
}

// drawFault draws the fault of one call, "" for none. The caller holds
// g.mu.
func (g *Gateway) drawFault() Fault {
	if g.cfg.FaultRate <= 0 || g.rng.Float64() >= g.cfg.FaultRate {
		return ""
	}
	return g.faults[g.rng.IntN(len(g.faults))]
}

package gen

import "strconv"

// The clearance results: a plain CSV (UTF-8, CRLF) with the canonical or
// the Chinese headers, one line per clearance event: status 1 (clearance
// started) then status 2 (the result) for each order, all on Day.

// clearanceRow is a line of the clearance file.
type clearanceRow struct {
	order   uint64
	key     uint64 // the idempotency key's number; see appendKey
	noKey   bool
	status  string // "1", "2", or something invalid
	result  string
	port    string
	at      int32
	passNo  uint64 // 0: none
	receipt int    // index into receipts, -1: none
}

var ports = []string{"2991", "2244", "5141", "0213", "3105"}

const keyMod = 131_621_703_842_267_136 // 36^11

// appendKey appends an idempotency key such as xxe3444k9k9: 11 base-36
// characters, a keyed permutation of n, so unique.
func (p *plan) appendKey(b []byte, n uint64) []byte {
	x := p.keyPerm.apply(n)
	var k [11]byte
	for i := 10; i >= 0; i-- {
		k[i] = "0123456789abcdefghijklmnopqrstuvwxyz"[x%36]
		x /= 36
	}
	return append(b, k[:]...)
}

func (p *plan) appendClearanceRow(b []byte, c *clearanceRow) []byte {
	b = strconv.AppendUint(b, c.order, 10)
	b = append(b, ',')
	if !c.noKey {
		b = p.appendKey(b, c.key)
	}
	b = append(b, ',')
	b = append(b, c.status...)
	b = append(b, ',')
	b = append(b, c.result...)
	b = append(b, ',')
	b = append(b, c.port...)
	b = append(b, ',')
	b = appendTime(b, &p.days, c.at, formDash)
	b = append(b, ',')
	if c.passNo != 0 {
		b = append(b, c.port...)
		b = appendPadded(b, c.passNo, 9)
	}
	b = append(b, ',')
	if c.receipt >= 0 {
		b = append(b, receipts[c.receipt]...)
	}
	return append(b, '\r', '\n')
}

// writeClearance writes spec.Clearance valid rows (pairs of status 1 and
// 2 for an order, with unique idempotency keys) and invalid rows among
// them, evenly spread: invalid of them, each without a key, with a status
// other than 1 or 2, or repeating the key and status of the valid row
// before it with another result.
func (p *plan) writeClearance(o *output, invalid int) {
	var r rng
	r.seed(p.spec.Seed, 1<<63)
	if r.intn(2) == 0 {
		o.w.WriteString(clearanceHeaderEN + "\r\n")
	} else {
		o.w.WriteString(clearanceHeaderZH + "\r\n")
	}
	valid := p.spec.Clearance
	var last clearanceRow
	haveLast := false
	var pair clearanceRow
	buf := make([]byte, 0, 1024)
	for v := 0; valid > 0 || invalid > 0; {
		if invalid > 0 && r.intn(valid+invalid) < invalid {
			invalid--
			bad := clearanceRow{order: p.orderID(v/2, r.u64()), key: uint64(keyMod - 1 - invalid), status: "1", port: ports[0], at: int32(r.intn(secPerDay)), receipt: -1}
			switch k := r.intn(3); {
			case k == 2 && haveLast:
				bad = last
				if bad.result == "0000" {
					bad.result = "1001"
				} else {
					bad.result = "0000"
				}
			case k == 1:
				bad.status = []string{"3", "0", "放行", ""}[r.intn(4)]
			default:
				bad.noKey = true
			}
			buf = p.appendClearanceRow(buf[:0], &bad)
			o.w.Write(buf)
			o.rows++
			continue
		}
		valid--
		if v%2 == 0 {
			pair = clearanceRow{order: p.orderID(v/2, r.u64()), key: uint64(v / 2), status: "1", port: ports[r.intn(len(ports))],
				at: int32(8*3600 + r.intn(12*3600)), receipt: -1}
			last = pair
		} else {
			last = pair
			last.status = "2"
			last.at = min(pair.at+int32(r.between(600, 3*3600)), secPerDay-1)
			last.result, last.receipt = "0000", r.intn(2)
			if r.intn(10) == 0 {
				last.result, last.receipt = "1001", 2+r.intn(2)
			}
			last.passNo = 100_000_000 + uint64(r.intn(900_000_000))
		}
		haveLast = true
		v++
		buf = p.appendClearanceRow(buf[:0], &last)
		o.w.Write(buf)
		o.rows++
	}
}

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"iter"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The directions, as the host names them and mounts them.
const (
	dirFNS = iota
	dirPFR
	dirRosstat
)

var (
	dirNames    = []string{"fns", "pfr", "rosstat"}
	dirPrefixes = []string{"/fns", "/pfr", "/rosstat"}
)

// typeWeights spread the product types the way a list scenario meets them:
// 1C dominates, the other products follow.
var typeWeights = [][]weighted{
	dirFNS:     {{"1c", 40}, {"iotchet", 25}, {"platform", 15}, {"ao4", 10}, {"ao5", 10}},
	dirPFR:     {{"1c", 45}, {"iotchet", 30}, {"ao4", 15}, {"ao5", 10}},
	dirRosstat: {{"1c", 45}, {"iotchet", 30}, {"ao4", 15}, {"ao5", 10}},
}

type weighted struct {
	value  string
	weight int
}

func pick(r *rand.Rand, ws []weighted) string {
	total := 0
	for _, w := range ws {
		total += w.weight
	}
	n := r.IntN(total)
	for _, w := range ws {
		if n < w.weight {
			return w.value
		}
		n -= w.weight
	}
	return ws[len(ws)-1].value
}

// subscriber is one company in one direction, bound to one gate.
type subscriber struct {
	dir  int
	guid string
	gate string
	// attr is the direction's own field: the FNS tax office the
	// subscriber reports to, the PFR regnum or the Rosstat OKPO.
	attr string
}

// row is one packages row, as the host's store.Insert writes it. Empty
// strings are NULL.
type row struct {
	id        [16]byte
	direction string
	kind      string
	uid       string
	typ       string
	guid      string
	gate      string
	code      string
	filename  string
	link      string
	linkPath  string
	size      int64
	sha256    string
	dateIn    time.Time
	attrs     string
}

func (r *row) idString() string { return formatUUID(r.id) }

// plan is what to generate.
type plan struct {
	packages    int
	subscribers int
	mailings    int
	deletes     int
	// perGate is how many subscribers share a gate, on average.
	perGate int
	now     time.Time
	tz      *time.Location
	seed    uint64
	// downloadBytes is the content of the downloadable package.
	downloadBytes []byte
	// coldDownloads is how many more packages carry those bytes, for the
	// download of a link not downloaded before.
	coldDownloads int
}

// generator makes the rows and remembers what the targets need.
type generator struct {
	plan
	r       *rand.Rand
	subs    []subscriber
	gates   [3][]string
	taxOffs []string
	depts   []string
	// Samples for the targets, gathered as rows are made.
	guidSamples []string
	gateSamples []string
	mailingDays map[string][2]time.Time
	download    *row
	cold        []*row
	deleteLinks []string
	upload      string
}

func newGenerator(p plan) *generator {
	g := &generator{plan: p, r: rand.New(rand.NewPCG(p.seed, p.seed^0x9e3779b97f4a7c15))}
	// 300 tax offices, 50 Rosstat departments.
	seen := map[string]bool{}
	for len(g.taxOffs) < 300 {
		c := fmt.Sprintf("%04d", 1000+g.r.IntN(9000))
		if !seen[c] {
			seen[c] = true
			g.taxOffs = append(g.taxOffs, c)
		}
	}
	for len(g.depts) < 50 {
		c := fmt.Sprintf("%02d-%02d", 1+g.r.IntN(99), 1+g.r.IntN(99))
		if !seen[c] {
			seen[c] = true
			g.depts = append(g.depts, c)
		}
	}
	// Half of the subscribers report to FNS, a quarter each to PFR and
	// Rosstat; perGate subscribers share a gate.
	counts := [3]int{p.subscribers / 2, p.subscribers / 4, p.subscribers - p.subscribers/2 - p.subscribers/4}
	for d := range 3 {
		n := max(1, counts[d]/p.perGate)
		for i := range n {
			if d == dirFNS {
				g.gates[d] = append(g.gates[d], fmt.Sprintf("gate%04d", i))
			} else {
				g.gates[d] = append(g.gates[d], g.uuid())
			}
		}
	}
	prefixes := []string{"1AE", "2BE", "2AL", "2LD", "1BF"}
	for i := range p.subscribers {
		d := dirFNS
		switch {
		case i%4 == 1:
			d = dirPFR
		case i%4 == 3:
			d = dirRosstat
		}
		s := subscriber{dir: d, gate: g.gates[d][g.r.IntN(len(g.gates[d]))]}
		switch d {
		case dirFNS:
			s.guid = prefixes[g.r.IntN(len(prefixes))] + strings.ToUpper(g.uuid())
			s.attr = g.taxOffs[g.r.IntN(len(g.taxOffs))]
		case dirPFR:
			s.guid = g.uuid()
			s.attr = fmt.Sprintf("%03d-%03d-%06d", g.r.IntN(1000), g.r.IntN(1000), g.r.IntN(1000000))
		case dirRosstat:
			s.guid = g.uuid()
			switch n := g.r.IntN(20); {
			case n < 16:
				s.attr = fmt.Sprintf("%08d", g.r.IntN(100000000))
			case n < 19:
				s.attr = fmt.Sprintf("%010d", g.r.Int64N(10000000000))
			default:
				s.attr = fmt.Sprintf("%014d", g.r.Int64N(100000000000000))
			}
		}
		g.subs = append(g.subs, s)
	}
	g.mailingDays = map[string][2]time.Time{}
	return g
}

// uuid is a random UUID as the host renders one: lower case, dashed.
func (g *generator) uuid() string {
	var b [16]byte
	g.fill(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return formatUUID(b)
}

// uuidV7 is a time-ordered id for a package received at t, as
// uuid.NewV7 makes them.
func (g *generator) uuidV7(t time.Time) [16]byte {
	var b [16]byte
	g.fill(b[:])
	ms := uint64(t.UnixMilli())
	for i := range 6 {
		b[i] = byte(ms >> (40 - 8*i))
	}
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	return b
}

func (g *generator) fill(b []byte) {
	for i := 0; i < len(b); i += 8 {
		v := g.r.Uint64()
		for j := 0; j < 8 && i+j < len(b); j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
}

func (g *generator) hex(n int) string {
	b := make([]byte, n)
	g.fill(b)
	return hex.EncodeToString(b)
}

func formatUUID(b [16]byte) string {
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// attrsJSON is a direction's attributes as the host stores them: a JSON
// object with sorted keys (json.Marshal of a map).
func attrsJSON(m map[string]string) string {
	b, _ := json.Marshal(m)
	return string(b)
}

// size is a plausible package size: a few KiB to a few hundred.
func (g *generator) size() int64 {
	return 2048 + int64(g.r.ExpFloat64()*60000)
}

// inbound is a package delivered to a subscriber, with every column and
// attribute the host writes for that direction's delivery.
func (g *generator) inbound(s *subscriber, typ string, at time.Time) *row {
	rw := &row{
		id: g.uuidV7(at), direction: dirNames[s.dir], kind: "inbound", typ: typ,
		guid: s.guid, gate: s.gate, size: g.size(), sha256: g.hex(32), dateIn: at,
	}
	switch s.dir {
	case dirFNS:
		// Delivered as a container from the tax office to the subscriber:
		// the FNS hook takes the guid, the tax office and the codes from
		// its name, and the link carries the gate and the product guid.
		rw.uid = g.hex(16)
		docUID := g.hex(16)
		docflow := fmt.Sprintf("%02d", 1+g.r.IntN(10))
		transaction := fmt.Sprintf("%02d", 1+g.r.IntN(5))
		doctype := fmt.Sprintf("%02d", 1+g.r.IntN(3))
		rw.filename = fmt.Sprintf("FNS_%s_%s_%s_%s_%s_%s.zip", s.attr, s.guid, docUID, docflow, transaction, doctype)
		rw.attrs = attrsJSON(map[string]string{
			"product_guid": s.guid[3:], "ifns_code": s.attr, "doc_uid": docUID,
			"docflow": docflow, "transaction": transaction, "doctype": doctype,
		})
		rw.link = "files/" + s.gate + "/" + s.guid[3:] + "/" + rw.uid + "/" + rw.filename
	case dirPFR:
		rw.uid = g.uuid()
		rw.filename = fmt.Sprintf("PFR-700-Y-%d-ORG-%s-DCK-%05d-DPT-000000-DCK-00000.XML.zip",
			at.Year(), s.attr, g.r.IntN(100000))
		rw.attrs = attrsJSON(map[string]string{"regnum": s.attr})
		rw.link = "/" + s.attr + "/" + rw.uid + "/" + rw.filename
	case dirRosstat:
		rw.uid = g.uuid()
		rw.filename = fmt.Sprintf("%s_0%d%03d_%s.xml.zip", s.attr, 6+g.r.IntN(3), g.r.IntN(1000), at.Format("20060102"))
		rw.attrs = attrsJSON(map[string]string{"okpo": s.attr})
		rw.link = "/" + s.attr + "/" + rw.uid + "/" + rw.filename
	}
	rw.linkPath = strings.TrimLeft(rw.link, "/")
	return rw
}

// mailing is a mass mailing: FNS by tax office through the default gate,
// Rosstat by department. Publications call no hook: no attributes.
func (g *generator) mailing(at time.Time) *row {
	rw := &row{id: g.uuidV7(at), kind: "mailing", size: g.size(), sha256: g.hex(32), dateIn: at, attrs: "{}"}
	var prefix string
	if g.r.IntN(10) < 6 {
		rw.direction, prefix = "fns", "/fns"
		rw.code = g.taxOffs[g.r.IntN(100)]
		rw.gate = "gpr"
		rw.uid = g.hex(16)
		rw.filename = fmt.Sprintf("FNS_%s_1AE_%s_04_01_01.zip", rw.code, g.hex(16))
		rw.link = "files/gpr/" + rw.code + "/" + rw.uid + "/" + rw.filename
	} else {
		rw.direction, prefix = "rosstat", "/rosstat"
		rw.code = g.depts[g.r.IntN(len(g.depts))]
		rw.uid = g.uuid()
		rw.filename = fmt.Sprintf("mass_%s_%06d.zip", strings.ReplaceAll(rw.code, "-", ""), g.r.IntN(1000000))
		rw.link = "/" + rw.code + "/" + rw.uid + "/" + rw.filename
	}
	rw.linkPath = strings.TrimLeft(rw.link, "/")
	key := prefix + "|" + rw.code
	span, ok := g.mailingDays[key]
	if !ok || at.Before(span[0]) {
		span[0] = at
	}
	if !ok || at.After(span[1]) {
		span[1] = at
	}
	g.mailingDays[key] = span
	return rw
}

// rows yields every row in the order the host would have received them:
// inbound packages over the past year and mailings over the past half
// year, merged by time; then the downloadable package and the packages
// the delete scenario removes, received today.
func (g *generator) rows() iter.Seq[*row] {
	return func(yield func(*row) bool) {
		end := g.now.Add(-time.Hour)
		inStart, mailStart := end.AddDate(-1, 0, 0), end.AddDate(0, -6, 0)
		inStep := end.Sub(inStart) / time.Duration(max(1, g.packages))
		mailStep := end.Sub(mailStart) / time.Duration(max(1, g.mailings))
		sampleP := min(1.0, 6000.0/float64(max(1, g.packages)))
		i, j := 0, 0
		for i < g.packages || j < g.mailings {
			inAt := inStart.Add(time.Duration(i) * inStep).Truncate(time.Microsecond)
			mailAt := mailStart.Add(time.Duration(j) * mailStep).Truncate(time.Microsecond)
			var rw *row
			if j >= g.mailings || (i < g.packages && inAt.Before(mailAt)) {
				s := &g.subs[g.r.IntN(len(g.subs))]
				typ := pick(g.r, typeWeights[s.dir])
				rw = g.inbound(s, typ, inAt)
				if g.r.Float64() < sampleP {
					g.sample(s, typ)
				}
				i++
			} else {
				rw = g.mailing(mailAt)
				j++
			}
			if !yield(rw) {
				return
			}
		}
		if g.downloadBytes != nil {
			s := &g.subs[0] // an FNS subscriber
			rw := g.inbound(s, "1c", end.Add(time.Minute).Truncate(time.Microsecond))
			sum := sha256.Sum256(g.downloadBytes)
			rw.size, rw.sha256 = int64(len(g.downloadBytes)), hex.EncodeToString(sum[:])
			g.download = rw
			if !yield(rw) {
				return
			}
			// Inbound packages of random subscribers, as production's
			// downloads are, so that no list grows by them all.
			for k := range g.coldDownloads {
				s := &g.subs[g.r.IntN(len(g.subs))]
				at := end.Add(time.Minute + time.Duration(k+1)*time.Microsecond)
				rw := g.inbound(s, pick(g.r, typeWeights[s.dir]), at)
				rw.size, rw.sha256 = g.download.size, g.download.sha256
				g.cold = append(g.cold, rw)
				if !yield(rw) {
					return
				}
			}
		}
		for k := range g.deletes {
			s := &g.subs[g.r.IntN(len(g.subs))]
			rw := g.inbound(s, pick(g.r, typeWeights[s.dir]), end.Add(2*time.Minute+time.Duration(k)*time.Millisecond).Truncate(time.Microsecond))
			g.deleteLinks = append(g.deleteLinks, "/"+escapePath(rw.linkPath))
			if !yield(rw) {
				return
			}
		}
		// An upload names its sender, an FNS subscriber, in the container.
		s := &g.subs[0]
		g.upload = fmt.Sprintf("FNS_%s_%s_%s_01_01_01.zip", s.guid, s.attr, g.hex(16))
	}
}

// sample remembers a list a client would ask for: its own packages of a
// type, and its gate's packages of the common types.
func (g *generator) sample(s *subscriber, typ string) {
	prefix := dirPrefixes[s.dir]
	g.guidSamples = append(g.guidSamples, prefix+"/packages?type="+typ+"&guid="+url.QueryEscape(s.guid))
	gateType := typ
	if typ != "1c" && typ != "iotchet" {
		gateType = "1c"
	}
	g.gateSamples = append(g.gateSamples, prefix+"/packages?type="+gateType+"&gate="+url.QueryEscape(s.gate))
}

// massreports are requests for a code's mailings over 30 days within the
// span its mailings cover, in the server's time zone.
func (g *generator) massreports(n int) []string {
	keys := make([]string, 0, len(g.mailingDays))
	for k := range g.mailingDays {
		keys = append(keys, k)
	}
	// Map order is random; sort for a reproducible list.
	slices.Sort(keys)
	var out []string
	if len(keys) == 0 {
		return out
	}
	for range n {
		k := keys[g.r.IntN(len(keys))]
		prefix, code, _ := strings.Cut(k, "|")
		span := g.mailingDays[k]
		days := int(span[1].Sub(span[0]).Hours()/24) - 30
		start := span[0].AddDate(0, 0, g.r.IntN(max(1, days))).In(g.tz)
		endDay := start.AddDate(0, 0, 29)
		out = append(out, fmt.Sprintf("%s/massreport?code=%s&date_start=%s&date_end=%s",
			prefix, url.QueryEscape(code), start.Format("2006-01-02"), endDay.Format("2006-01-02")))
	}
	return out
}

// choose returns n of the samples in a random order, repeating when there
// are fewer.
func (g *generator) choose(samples []string, n int) []string {
	if len(samples) == 0 {
		return nil
	}
	s := append([]string(nil), samples...)
	g.r.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
	if len(s) > n {
		s = s[:n]
	}
	return s
}

// escapePath escapes a link as a client's HTTP library would.
func escapePath(p string) string {
	return (&url.URL{Path: p}).EscapedPath()
}

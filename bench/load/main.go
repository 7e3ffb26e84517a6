// Command load drives one benchmark scenario against one or more servers
// over loopback with vegeta's attacker: at each concurrency, rounds of a
// fixed number of requests as fast as that many workers can send them,
// the servers taking turns round by round. For each server that names its
// process, it records the resident set before the level and its peak
// during it (VmHWM, reset through /proc/PID/clear_refs before each round).
//
//	load -targets FILE -scenario list_guid -conc 1,8,32,128 -n 3000 \
//	     -server reportgate=http://127.0.0.1:28080,pid=123 \
//	     -server baseline=http://127.0.0.1:28081,pid=456 -out results.jsonl
//
// With -check it instead requests the first targets from every server and
// reports whether the answers are byte for byte the same.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	_ "github.com/lib/pq" // for -sql
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/reportgate/reportgate/bench/internal/benchdata"
)

type server struct {
	name string
	url  string
	pid  int
	// targets and rows, when set, are the server's own: a server on
	// another database, taking turns with the others (bench/run.sh's
	// lists at a million rows beside ten thousand).
	targets string
	rows    int
}

type serverFlags []server

func (s *serverFlags) String() string { return fmt.Sprint(*s) }

func (s *serverFlags) Set(v string) error {
	name, rest, ok := strings.Cut(v, "=")
	if !ok {
		return errors.New("want NAME=URL[,pid=PID]")
	}
	srv := server{name: name}
	parts := strings.Split(rest, ",")
	srv.url = strings.TrimRight(parts[0], "/")
	for _, p := range parts[1:] {
		key, value, _ := strings.Cut(p, "=")
		switch key {
		case "pid", "rows":
			n, err := strconv.Atoi(value)
			if err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			if key == "pid" {
				srv.pid = n
			} else {
				srv.rows = n
			}
		case "targets":
			srv.targets = value
		default:
			return fmt.Errorf("unknown server option %q", p)
		}
	}
	*s = append(*s, srv)
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run() error {
	var servers serverFlags
	targetsPath := flag.String("targets", "", "targets written by bench/seed")
	scenarioName := flag.String("scenario", "", "list_guid, list_gate, list_gate_uncached, massreport, massreport_uncached, download, download_cold, delete, upload_1m or upload_100m")
	concList := flag.String("conc", "1,8,32,128", "concurrency levels")
	n := flag.Int("n", 2000, "requests a level")
	nMin := flag.Int("n-min-per-worker", 0, "at least this many requests a worker at each level")
	warmup := flag.Int("warmup", 200, "requests at concurrency 8 before a server's first level, not recorded")
	out := flag.String("out", "", "JSON Lines file the results are appended to")
	storeName := flag.String("store", "", "store name to record")
	rows := flag.Int("rows", 0, "inbound packages seeded, to record")
	rounds := flag.Int("rounds", 3, "rounds a level; the servers take turns within each")
	check := flag.Int("check", 0, "compare the answers of every server to the first N targets, and exit")
	sqlURL := flag.String("sql", "", "with -check on PostgreSQL: also compare the list SQL each server ran, read from pg_stat_activity by application_name = the server's name")
	flag.Var(&servers, "server", "NAME=URL[,pid=PID][,targets=FILE,rows=N]; repeat for each server, in turn. targets and rows, for a server on another database, replace -targets and -rows for it. Only the server named reportgate is sent download_cold's many links; the others, its limits, are sent the one download link")
	flag.Parse()
	if *targetsPath == "" || *scenarioName == "" || len(servers) == 0 {
		return errors.New("-targets, -scenario and -server are required")
	}
	t, err := benchdata.ReadTargets(*targetsPath)
	if err != nil {
		return err
	}
	sc, err := newScenario(*scenarioName, t)
	if err != nil {
		return err
	}
	if *check > 0 {
		return compare(sc, servers, *check, *sqlURL)
	}
	// Each server asks its own targets, or the shared ones.
	scenarios := make([]*scenario, len(servers))
	for k, s := range servers {
		scenarios[k] = sc
		if s.targets == "" {
			continue
		}
		own, err := benchdata.ReadTargets(s.targets)
		if err != nil {
			return err
		}
		if scenarios[k], err = newScenario(*scenarioName, own); err != nil {
			return err
		}
	}
	var levels []int
	for _, f := range strings.Split(*concList, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || c < 1 {
			return fmt.Errorf("bad concurrency %q", f)
		}
		levels = append(levels, c)
	}
	for k, s := range servers {
		if *warmup > 0 {
			if _, err := attack(scenarios[k], s, 8, *warmup); err != nil {
				return err
			}
		}
	}
	for i, c := range levels {
		requests := max(*n, c**nMin)
		acc := make([]*accumulator, len(servers))
		for k := range servers {
			acc[k] = &accumulator{server: servers[k]}
		}
		// Take turns, round after round, each server going first in turn.
		for round := range *rounds {
			for k := range servers {
				j := (i + round + k) % len(servers)
				if err := acc[j].run(scenarios[j], c, requests); err != nil {
					return err
				}
			}
		}
		for _, a := range acc {
			res := a.result()
			res.Store, res.Rows, res.Scenario = *storeName, *rows, *scenarioName
			if a.server.rows > 0 {
				res.Rows = a.server.rows
			}
			fmt.Fprintf(os.Stderr, "load: %-6s %-11s %-10s c=%-3d n=%dx%-5d %8.1f req/s (%.0f–%.0f)  p50 %7.2f ms  p99 %8.2f ms  cpu %.3f/%.3f ms  ok %.3f  rss %d→%d KiB  anon %d KiB\n",
				res.Store, res.Scenario, res.Server, c, res.Rounds, requests, res.RPS, res.RPSMin, res.RPSMax, res.P50ms, res.P99ms,
				res.ServerCPUms, res.MachineCPUms, res.Success, res.RSSBeforeKiB, res.HWMKiB, res.AnonPeakKiB)
			if res.Success < 1 {
				fmt.Fprintf(os.Stderr, "load:   codes %v, e.g. %s\n", res.Codes, res.FirstError)
			}
			if *out != "" {
				if err := benchdata.AppendResults(*out, res); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// scenario makes the requests of one scenario.
type scenario struct {
	name   string
	method string
	paths  []string
	// consume: every request takes the next path, none is repeated.
	consume bool
	// cycle: the paths are taken in turn across attacks, never restarting,
	// so a path comes back only after all the others.
	cycle bool
	// limitPaths, when set, are what the limits (every server but
	// reportgate) are asked for instead: they make no lookup, so one path
	// serves them as well as many.
	limitPaths []string
	next       atomic.Int64
	body       []byte
	header     http.Header
}

func newScenario(name string, t *benchdata.Targets) (*scenario, error) {
	sc := &scenario{name: name, method: http.MethodGet}
	switch name {
	case "list_guid":
		sc.paths = t.ListGUID
	case "list_gate", "list_gate_uncached":
		// list_gate_uncached asks for the same lists of a host started with
		// lists.cache_bytes 0 (bench/run.sh): like for like with the
		// baseline, which keeps no lists.
		sc.paths = t.ListGate
	case "massreport", "massreport_uncached":
		// massreport_uncached, likewise, asks a host keeping no
		// massreports.
		sc.paths = t.Massreport
	case "download":
		sc.paths = []string{t.Download}
	case "download_cold":
		sc.paths, sc.cycle, sc.limitPaths = t.DownloadCold, true, []string{t.Download}
	case "delete":
		sc.method, sc.paths, sc.consume = http.MethodDelete, t.Delete, true
	case "upload_1m", "upload_100m":
		size := 1 << 20
		if name == "upload_100m" {
			size = 100 << 20
		}
		sc.method, sc.paths = http.MethodPost, []string{t.UploadPath}
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, err := mw.CreateFormFile("file", t.UploadFilename)
		if err != nil {
			return nil, err
		}
		content := make([]byte, size)
		rand.Read(content)
		fw.Write(content)
		mw.Close()
		sc.body = buf.Bytes()
		sc.header = http.Header{"Content-Type": {mw.FormDataContentType()}}
	default:
		return nil, fmt.Errorf("unknown scenario %q", name)
	}
	if len(sc.paths) == 0 || sc.paths[0] == "" {
		return nil, fmt.Errorf("the targets have none for %s", name)
	}
	return sc, nil
}

// pathsFor is the paths a server is asked for.
func (sc *scenario) pathsFor(s server) []string {
	if sc.limitPaths != nil && s.name != "reportgate" {
		return sc.limitPaths
	}
	return sc.paths
}

func (sc *scenario) targeter(s server) vegeta.Targeter {
	paths := sc.pathsFor(s)
	return func(t *vegeta.Target) error {
		i := sc.next.Add(1) - 1
		if sc.consume && int(i) >= len(paths) {
			return errors.New("out of targets: seed more")
		}
		t.Method = sc.method
		t.URL = s.url + paths[int(i)%len(paths)]
		t.Body = sc.body
		t.Header = sc.header
		return nil
	}
}

// countPacer sends n requests as fast as the workers take them.
type countPacer uint64

func (p countPacer) Pace(_ time.Duration, hits uint64) (time.Duration, bool) {
	return 0, hits >= uint64(p)
}

func (p countPacer) Rate(time.Duration) float64 { return 0 }

type attackResult struct {
	metrics   vegeta.Metrics
	latencies []time.Duration
}

// attack sends n requests with c workers, each with its own keep-alive
// connection, reading and discarding every body.
func attack(sc *scenario, s server, c, n int) (*attackResult, error) {
	if !sc.consume && !sc.cycle {
		sc.next.Store(0)
	}
	transport := &http.Transport{
		DialContext:         (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: c,
		MaxConnsPerHost:     c,
		DisableCompression:  true,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 10 * time.Minute}
	a := vegeta.NewAttacker(vegeta.Client(client), vegeta.Workers(uint64(c)), vegeta.MaxWorkers(uint64(c)),
		vegeta.MaxBody(0), vegeta.Redirects(vegeta.NoFollow))
	out := &attackResult{latencies: make([]time.Duration, 0, n)}
	for res := range a.Attack(sc.targeter(s), countPacer(n), 0, sc.name) {
		out.metrics.Add(res)
		out.latencies = append(out.latencies, res.Latency)
	}
	out.metrics.Close()
	return out, nil
}

// accumulator gathers one server's rounds at one level.
type accumulator struct {
	server    server
	res       benchdata.Result
	rps       []float64
	latencies []time.Duration
	seconds   float64
	ok        float64
	started   bool
	// CPU ticks of the server (with its children) and of the machine.
	serverTicks, machineTicks int64
}

// run measures one round: the server's resident set before it and its
// peak during it, and every request's latency.
func (a *accumulator) run(sc *scenario, c, n int) error {
	s := a.server
	if !a.started {
		a.started = true
		a.res = benchdata.Result{Server: s.name, Concurrency: c, Codes: map[string]int{}, At: time.Now().UTC().Format(time.RFC3339)}
		if s.pid > 0 {
			a.res.RSSBeforeKiB = procStatus(s.pid, "VmRSS")
		}
	}
	reset := false
	if s.pid > 0 {
		reset = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", s.pid), []byte("5"), 0) == nil
	}
	serverBefore, machineBefore := treeTicks(s.pid), machineBusyTicks()
	stopSampling := sampleAnonPeak(s.pid)
	start := time.Now()
	ar, err := attack(sc, s, c, n)
	a.res.AnonPeakKiB = max(a.res.AnonPeakKiB, stopSampling())
	if err != nil {
		return err
	}
	a.seconds += time.Since(start).Seconds()
	a.serverTicks += treeTicks(s.pid) - serverBefore
	a.machineTicks += machineBusyTicks() - machineBefore
	if s.pid > 0 {
		a.res.HWMKiB = max(a.res.HWMKiB, procStatus(s.pid, "VmHWM"))
		a.res.RSSAfterKiB = procStatus(s.pid, "VmRSS")
		a.res.HWMReset = reset
	}
	m := &ar.metrics
	a.res.Rounds++
	a.res.Requests += int(m.Requests)
	a.ok += m.Success * float64(m.Requests)
	for code, k := range m.StatusCodes {
		a.res.Codes[code] += k
	}
	if len(m.Errors) > 0 && a.res.FirstError == "" {
		a.res.FirstError = m.Errors[0]
	}
	a.rps = append(a.rps, m.Throughput)
	a.res.BytesIn += m.BytesIn.Total
	a.res.BytesOut += m.BytesOut.Total
	a.latencies = append(a.latencies, ar.latencies...)
	return nil
}

func (a *accumulator) result() benchdata.Result {
	res := a.res
	res.Seconds = a.seconds
	if res.Requests > 0 {
		res.Success = a.ok / float64(res.Requests)
		if a.server.pid > 0 {
			res.ServerCPUms = float64(a.serverTicks) * tickMs / float64(res.Requests)
		}
		res.MachineCPUms = float64(a.machineTicks) * tickMs / float64(res.Requests)
	}
	slices.Sort(a.rps)
	res.RPS, res.RPSMin, res.RPSMax = median(a.rps), a.rps[0], a.rps[len(a.rps)-1]
	lat := a.latencies
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	res.P50ms, res.P90ms, res.P99ms = ms(quantile(lat, 0.50)), ms(quantile(lat, 0.90)), ms(quantile(lat, 0.99))
	res.MaxMs = ms(lat[len(lat)-1])
	var sum time.Duration
	for _, l := range lat {
		sum += l
	}
	res.MeanMs = ms(sum / time.Duration(len(lat)))
	return res
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// quantile is the nearest-rank quantile of sorted latencies.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// tickMs is a clock tick (USER_HZ, 100 on Linux) in milliseconds.
const tickMs = 10.0

// treeTicks is the user and system CPU time of a process and of its
// children, in clock ticks; 0 without a process.
func treeTicks(pid int) int64 {
	if pid <= 0 {
		return 0
	}
	total := procTicks(pid)
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	for _, t := range tasks {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, t.Name()))
		for _, f := range strings.Fields(string(b)) {
			if child, err := strconv.Atoi(f); err == nil {
				total += procTicks(child)
			}
		}
	}
	return total
}

// procTicks is utime + stime of /proc/PID/stat.
func procTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name is in parentheses and may hold spaces.
	_, rest, ok := strings.Cut(string(b), ") ")
	if !ok {
		return 0
	}
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return utime + stime
}

// machineBusyTicks is the machine's non-idle CPU time, in clock ticks.
func machineBusyTicks() int64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	var busy int64
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		// user nice system idle iowait irq softirq steal; guests are in user.
		if i != 3 && i != 4 && i < 8 {
			busy += n
		}
	}
	return busy
}

// anonSampleEvery is how often sampleAnonPeak reads the server's status:
// often enough to catch a peak that lasts a request, and about 0.2 % of a
// core.
const anonSampleEvery = 10 * time.Millisecond

// sampleAnonPeak reads pid's RssAnon until the returned function is
// called, which returns the highest value read, in KiB (0 without a pid).
// The kernel keeps a peak only of the whole resident set (VmHWM), so the
// anonymous part's peak is sampled.
func sampleAnonPeak(pid int) (stop func() int64) {
	if pid <= 0 {
		return func() int64 { return 0 }
	}
	done := make(chan struct{})
	peak := make(chan int64, 1)
	go func() {
		tick := time.NewTicker(anonSampleEvery)
		defer tick.Stop()
		most := procStatus(pid, "RssAnon")
		for {
			select {
			case <-done:
				peak <- max(most, procStatus(pid, "RssAnon"))
				return
			case <-tick.C:
				most = max(most, procStatus(pid, "RssAnon"))
			}
		}
	}()
	return func() int64 {
		close(done)
		return <-peak
	}
}

// procStatus reads a field of /proc/PID/status, in KiB.
func procStatus(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

// compare requests the first n targets from every server and checks that
// they answer alike: the same status and, for a list, the same bytes.
func compare(sc *scenario, servers []server, n int, sqlURL string) error {
	if sc.consume || sc.method != http.MethodGet {
		return fmt.Errorf("-check compares GET scenarios only")
	}
	client := &http.Client{Timeout: time.Minute}
	var sqls *sqlSampler
	if sqlURL != "" {
		db, err := sql.Open("postgres", sqlURL)
		if err != nil {
			return err
		}
		defer db.Close()
		sqls = &sqlSampler{db: db, seen: map[string]map[string]bool{}}
	}
	items, bytesIn := 0, 0
	for i := 0; i < n && i < len(sc.paths); i++ {
		var first []byte
		for k, s := range servers {
			paths := sc.pathsFor(s)
			path := paths[i%len(paths)]
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, s.url+path, nil)
			res, err := client.Do(req)
			if err != nil {
				return err
			}
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil {
				return err
			}
			if res.StatusCode != http.StatusOK {
				return fmt.Errorf("%s %s answered %s: %.200s", s.name, path, res.Status, body)
			}
			if sqls != nil {
				if err := sqls.sample(s.name); err != nil {
					return err
				}
			}
			if k == 0 {
				first = body
				bytesIn += len(body)
				var list []json.RawMessage
				if json.Unmarshal(body, &list) == nil {
					items += len(list)
				}
				continue
			}
			if !bytes.Equal(first, body) {
				return fmt.Errorf("%s and %s differ on %s:\n%.300s\n%.300s", servers[0].name, s.name, sc.paths[i], first, body)
			}
		}
	}
	sqlNote := ""
	if sqls != nil {
		same, err := sqls.same(servers)
		if err != nil {
			return err
		}
		sqlNote = fmt.Sprintf(", running the same SQL (%d statements, seen in pg_stat_activity)", same)
	}
	done := float64(min(n, len(sc.paths)))
	fmt.Printf("%s: %.0f requests answered byte for byte alike by %s%s (on average %.0f bytes, %.0f items a response)\n",
		sc.name, done, names(servers), sqlNote, float64(bytesIn)/done, float64(items)/done)
	return nil
}

func names(servers []server) string {
	var out []string
	for _, s := range servers {
		out = append(out, s.name)
	}
	return strings.Join(out, " and ")
}

// sqlSampler gathers the list and massreport statements each server's
// connections ran, as PostgreSQL shows them (the last statement of each of
// the server's connections, by application_name = the server's name), after
// every request of a check.
type sqlSampler struct {
	db   *sql.DB
	seen map[string]map[string]bool
}

func (p *sqlSampler) sample(name string) error {
	rows, err := p.db.Query(`SELECT regexp_replace(btrim(query), '\s+', ' ', 'g') FROM pg_stat_activity
		WHERE application_name = $1 AND query ~ 'kind = ''(inbound|mailing)''' AND query LIKE '%ORDER BY%'`, name)
	if err != nil {
		return err
	}
	defer rows.Close()
	if p.seen[name] == nil {
		p.seen[name] = map[string]bool{}
	}
	for rows.Next() {
		var q string
		if err := rows.Scan(&q); err != nil {
			return err
		}
		p.seen[name][q] = true
	}
	return rows.Err()
}

// same reports how many statements the servers ran, or how they differ.
func (p *sqlSampler) same(servers []server) (int, error) {
	var first []string
	for k, s := range servers {
		var got []string
		for q := range p.seen[s.name] {
			got = append(got, q)
		}
		slices.Sort(got)
		if len(got) == 0 {
			return 0, fmt.Errorf("PostgreSQL showed no list statement of %s: is its application_name %q?", s.name, s.name)
		}
		if k == 0 {
			first = got
			continue
		}
		if !slices.Equal(first, got) {
			return 0, fmt.Errorf("%s and %s ran different SQL:\n  %s\nagainst\n  %s", servers[0].name, s.name,
				strings.Join(first, "\n  "), strings.Join(got, "\n  "))
		}
	}
	return len(first), nil
}

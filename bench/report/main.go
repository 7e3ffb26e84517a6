// Command report renders bench/RESULTS.md from a benchmark run: the
// results bench/load recorded, the targets bench/seed wrote, the checks
// and the machine bench/run.sh noted. It reports; it never fails on a
// figure.
package main

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/reportgate/reportgate/bench/internal/benchdata"
)

type meta struct {
	Date, Commit, CPUs, Memory, Kernel, Go, Postgres, Nginx, Levels string
	Requests                                                        string
	Rounds                                                          int
	SharedBuffers                                                   string `json:"shared_buffers"`
	PostgresSetup                                                   string `json:"postgres_setup"`
	Minutes                                                         int
	Quick                                                           int
	SQLiteUpload100mLevels                                          string `json:"sqlite_upload_100m_levels"`
}

type targetFlags map[string]string

func (t targetFlags) String() string { return fmt.Sprint(map[string]string(t)) }
func (t targetFlags) Set(v string) error {
	k, p, ok := strings.Cut(v, "=")
	if !ok {
		return errors.New("want NAME=PATH")
	}
	t[k] = p
	return nil
}

func main() {
	targets := targetFlags{}
	out := flag.String("out", "bench/RESULTS.md", "the report")
	plotName := flag.String("plot", "latency.png", "the plot, relative to the report")
	resultsPath := flag.String("results", "", "results.jsonl")
	metaPath := flag.String("meta", "", "meta.json")
	checksPath := flag.String("checks", "", "checks.txt")
	flag.Var(targets, "targets", "STORE=targets.json; repeat")
	flag.Parse()
	if err := run(*out, *plotName, *resultsPath, *metaPath, *checksPath, targets); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

type report struct {
	results []benchdata.Result
	targets map[string]*benchdata.Targets
	meta    meta
	b       strings.Builder
}

func run(out, plotName, resultsPath, metaPath, checksPath string, targetPaths targetFlags) error {
	r := &report{targets: map[string]*benchdata.Targets{}}
	var err error
	if r.results, err = benchdata.ReadResults(resultsPath); err != nil {
		return err
	}
	mb, err := os.ReadFile(metaPath)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(mb, &r.meta); err != nil {
		return fmt.Errorf("%s: %w", metaPath, err)
	}
	for name, path := range targetPaths {
		if r.targets[name], err = benchdata.ReadTargets(path); err != nil {
			return err
		}
	}
	var checks []string
	if f, err := os.Open(checksPath); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			checks = append(checks, sc.Text())
		}
		f.Close()
	}
	r.write(plotName, checks)
	return os.WriteFile(out, []byte(r.b.String()), 0o644)
}

func (r *report) p(format string, args ...any) { fmt.Fprintf(&r.b, format+"\n", args...) }

// get is one result, or nil.
func (r *report) get(store, scenario, server string, c int) *benchdata.Result {
	for i := range r.results {
		x := &r.results[i]
		if x.Store == store && x.Scenario == scenario && x.Server == server && x.Concurrency == c {
			return x
		}
	}
	return nil
}

func (r *report) levels(store, scenario string) []int {
	var out []int
	for _, x := range r.results {
		if x.Store == store && x.Scenario == scenario && !slices.Contains(out, x.Concurrency) {
			out = append(out, x.Concurrency)
		}
	}
	slices.Sort(out)
	return out
}

var scenarios = []struct{ name, title, limit string }{
	{"list_guid", "List by type and guid", "baseline"},
	{"list_gate", "List by type and gate", "baseline"},
	{"list_gate_uncached", "List by type and gate, the host keeping no lists (lists.cache_bytes 0), for comparison", "baseline"},
	{"massreport", "Massreport by date and code", "baseline"},
	{"massreport_uncached", "Massreport by date and code, the host keeping none (lists.cache_bytes 0), for comparison", "baseline"},
	{"download", "Download of a 1 MiB package", "nginx"},
	{"download_cold", "Download of a 1 MiB package whose link was not downloaded lately", "nginx"},
	{"delete", "DELETE of a link", ""},
	{"upload_1m", "Upload of 1 MiB", "baseline"},
	{"upload_100m", "Upload of 100 MiB", "baseline"},
}

func limitOf(scenario string) string {
	for _, s := range scenarios {
		if s.name == scenario {
			return s.limit
		}
	}
	return ""
}

const refLevel = 32

func mib(kib int64) float64 { return float64(kib) / 1024 }

func (r *report) write(plotName string, checks []string) {
	m := r.meta
	r.p("# Benchmark results")
	r.p("")
	r.p("Run on **%s** at commit `%s` by `make bench` (bench/run.sh), %d minutes end to end.", m.Date, m.Commit, m.Minutes)
	r.p("Machine: %s, %s of memory, Linux %s; %s, PostgreSQL %s (%s: shared_buffers %s), nginx %s.", m.CPUs, m.Memory, m.Kernel, m.Go, m.Postgres, m.PostgresSetup, m.SharedBuffers, m.Nginx)
	r.p("The load driver, the servers and PostgreSQL share these cores, so absolute figures are this machine's; the ratios, measured in the same run with the servers taking turns, are the result.")
	if m.Quick == 1 {
		r.p("")
		r.p("**This was a quick smoke run (BENCH_QUICK=1): too few requests for figures to quote.**")
	}
	for _, c := range checks {
		if strings.Contains(c, "CHECK FAILED") {
			r.p("")
			r.p("**A check of this run's validity failed; see [Checks](#checks-made-in-the-same-run): figures compared against a baseline that answers or queries differently do not measure what they claim.**")
			break
		}
	}
	r.p("")
	r.p("Every throughput is reportgate's against its limit: a minimal hand-written handler running the same SQL for lists and massreport (bench/baseline), nginx with sendfile for downloads, a minimal streaming handler for uploads. A ratio is reportgate ÷ limit; 1.00 is as fast as the limit. DELETE has no natural limit and is given in absolute figures only.")
	r.p("")
	r.p("![p50 and p99 latency of the list scenarios against concurrency, reportgate beside its baseline](%s)", plotName)
	r.p("")
	r.writeTargets()
	r.writeData()
	for _, store := range []struct{ name, title string }{
		{"pg", "PostgreSQL (the production store)"},
		{"sqlite", "SQLite (embedded), alongside"},
	} {
		if len(r.levels(store.name, "list_guid")) == 0 {
			continue
		}
		t := r.targets[store.name]
		rows := 0
		if t != nil {
			rows = t.Packages
		}
		r.p("## %s, %s packages", store.title, thousands(rows))
		r.p("")
		for _, s := range scenarios {
			r.writeScenario(store.name, s.name, s.title, s.limit, r.scenarioNote(store.name, s.name))
			if s.name == "download" || s.name == "download_cold" {
				r.writeDownloadReference(store.name, s.name)
			}
		}
	}
	r.writeScale()
	r.p("%s", findings)
	r.p("## Checks made in the same run")
	r.p("")
	for _, c := range checks {
		r.p("- %s", c)
	}
	r.p("")
	r.writeMethod()
}

// findings is what profiling this benchmark changed in the host, kept by
// hand beside the generated tables.
//
//go:embed findings.md
var findings string

type target struct {
	what     string
	measured string
	met      *bool
}

func verdict(ok *bool) string {
	switch {
	case ok == nil:
		return "not measured"
	case *ok:
		return "**met**"
	default:
		return "**missed**"
	}
}

func boolp(b bool) *bool { return &b }

func (r *report) ratio(store, scenario string, c int) (float64, bool) {
	a, b := r.get(store, scenario, "reportgate", c), r.get(store, scenario, limitOf(scenario), c)
	if a == nil || b == nil || b.RPS == 0 {
		return 0, false
	}
	return a.RPS / b.RPS, true
}

// listTargets are the throughput and p99 targets of list scenarios.
func (r *report) listTargets(store string, scenarios []string) []target {
	var out []target
	for _, s := range scenarios {
		t := target{what: fmt.Sprintf("%s: throughput ≥ 0.8 × baseline at c=%d", s, refLevel)}
		if q, ok := r.ratio(store, s, refLevel); ok {
			t.measured, t.met = fmt.Sprintf("%.2f", q), boolp(q >= 0.8)
		}
		out = append(out, t)
		t = target{what: fmt.Sprintf("%s: p99 < 10 ms at c=%d", s, refLevel)}
		if x := r.get(store, s, "reportgate", refLevel); x != nil {
			t.measured = fmt.Sprintf("%.1f ms", x.P99ms)
			if b := r.get(store, s, "baseline", refLevel); b != nil {
				t.measured += fmt.Sprintf(" (baseline %.1f ms)", b.P99ms)
			}
			t.met = boolp(x.P99ms < 10)
		}
		out = append(out, t)
	}
	return out
}

// keptScenarios are the list scenarios as the host is configured by
// default; uncachedScenarios the same requests to a host keeping no
// lists, like for like with the baseline.
var (
	keptScenarios     = []string{"list_guid", "list_gate", "massreport"}
	uncachedScenarios = []string{"list_gate_uncached", "massreport_uncached"}
)

func (r *report) targetRows(store string) []target {
	out := r.listTargets(store, keptScenarios)
	for _, s := range []struct{ name, limit string }{{"download", "nginx"}, {"download_cold", "nginx"}, {"upload_1m", "baseline"}, {"upload_100m", "baseline"}} {
		c := refLevel
		if r.get(store, s.name, "reportgate", c) == nil {
			if lv := r.levels(store, s.name); len(lv) > 0 {
				c = lv[len(lv)-1]
			}
		}
		t := target{what: fmt.Sprintf("%s: throughput ≥ 0.8 × %s at c=%d", s.name, s.limit, c)}
		if q, ok := r.ratio(store, s.name, c); ok {
			t.measured, t.met = fmt.Sprintf("%.2f", q), boolp(q >= 0.8)
			var worst []string
			for _, l := range r.levels(store, s.name) {
				if q, ok := r.ratio(store, s.name, l); ok {
					worst = append(worst, fmt.Sprintf("%.2f", q))
				}
			}
			t.measured += " (c=" + strings.Trim(strings.ReplaceAll(fmt.Sprint(r.levels(store, s.name)), " ", ","), "[]") + ": " + strings.Join(worst, ", ") + ")"
		}
		out = append(out, t)
	}
	t := target{what: "upload_100m: one upload (c=1) raises the host's peak RSS by < 32 MiB"}
	if x := r.get(store, "upload_100m", "reportgate", 1); x != nil && x.HWMKiB > 0 {
		g := mib(x.HWMKiB - x.RSSBeforeKiB)
		t.measured, t.met = fmt.Sprintf("%+.1f MiB (%.1f → %.1f MiB)", g, mib(x.RSSBeforeKiB), mib(x.HWMKiB)), boolp(g < 32)
	}
	out = append(out, t)
	return out
}

func (r *report) writeTargets() {
	r.p("## Targets")
	r.p("")
	r.p("Judged at concurrency %d where the issue names none; every level is in the tables below. PostgreSQL is the production store; SQLite is shown alongside.", refLevel)
	r.p("")
	r.writeTargetTable(r.targetRows("pg"), r.targetRows("sqlite"))
	for _, s := range []string{"list_guid", "list_gate"} {
		for _, q := range []string{"p50", "p99"} {
			t := target{what: fmt.Sprintf("%s: %s latency at 1,000,000 rows within 1.5× of 10,000 rows, c=%d", s, q, refLevel)}
			big, small := r.scalePair(s, refLevel)
			if big != nil && small != nil {
				a, b := big.P50ms, small.P50ms
				if q == "p99" {
					a, b = big.P99ms, small.P99ms
				}
				t.measured, t.met = fmt.Sprintf("%.2f× (%.2f ms against %.2f ms)", a/b, a, b), boolp(a/b <= 1.5)
			}
			r.p("| %s | %s | %s | | |", t.what, t.measured, verdict(t.met))
		}
	}
	r.p("")
	r.writeUncachedTargets()
}

// writeTargetTable writes PostgreSQL's and SQLite's rows side by side,
// leaving its last line open for rows PostgreSQL alone has.
func (r *report) writeTargetTable(pg, lite []target) {
	r.p("| target | PostgreSQL | | SQLite | |")
	r.p("|---|---|---|---|---|")
	for i := range pg {
		ls, lv := "", ""
		if i < len(lite) {
			ls, lv = lite[i].measured, verdict(lite[i].met)
		}
		r.p("| %s | %s | %s | %s | %s |", pg[i].what, pg[i].measured, verdict(pg[i].met), ls, lv)
	}
}

// writeUncachedTargets judges the list scenarios' like-for-like runs, and
// gives the throughput a closed loop needs for the p99 target: its mean
// latency is the concurrency over the throughput, and the p99 is above
// the mean.
func (r *report) writeUncachedTargets() {
	pg, lite := r.listTargets("pg", uncachedScenarios), r.listTargets("sqlite", uncachedScenarios)
	if len(pg) == 0 || (pg[0].met == nil && lite[0].met == nil) {
		return
	}
	r.p("### Like for like: the host keeping no lists")
	r.p("")
	r.p("The same targets for the same requests to the host restarted with `lists.cache_bytes: 0`, so that it reads and renders every answer as its baseline does. This is not the host as configured, and the targets above judge that; these rows show what its own path costs.")
	r.p("")
	r.writeTargetTable(pg, lite)
	r.p("")
	// meta's CPUs reads "2 × Intel(R) Xeon(R) Processor".
	count, _, _ := strings.Cut(r.meta.CPUs, " ")
	cores, err := strconv.Atoi(count)
	if err != nil || cores == 0 {
		return
	}
	var served []string
	for _, k := range []struct{ store, title string }{{"pg", "PostgreSQL"}, {"sqlite", "SQLite"}} {
		a, b := r.get(k.store, "list_gate_uncached", "reportgate", refLevel), r.get(k.store, "list_gate_uncached", "baseline", refLevel)
		if a == nil || b == nil || a.MachineCPUms == 0 || b.MachineCPUms == 0 {
			continue
		}
		served = append(served, fmt.Sprintf("on %s the host served %s a second and the baseline %s, each answer costing the machine %.2f and %.2f ms of CPU, so that %d cores serve at most %s and %s a second",
			k.title, thousands(int(a.RPS)), thousands(int(b.RPS)), a.MachineCPUms, b.MachineCPUms, cores,
			thousands(int(float64(cores)*1000/a.MachineCPUms)), thousands(int(float64(cores)*1000/b.MachineCPUms))))
	}
	if len(served) > 0 {
		r.p("The load is a closed loop: %d clients each send their next request when the last is answered, so the mean latency is %d divided by the throughput, and a p99 under 10 ms needs a mean under it, more than %s answers a second. A list of a gate read and rendered anew is hundreds of rows: %s.",
			refLevel, refLevel, thousands(refLevel*100), strings.Join(served, "; "))
		r.p("")
	}
}

func (r *report) writeData() {
	r.p("## Data")
	r.p("")
	r.p("| database | inbound packages | subscribers | mass mailings | extra for DELETE | seeded in |")
	r.p("|---|---|---|---|---|---|")
	for _, k := range []struct{ name, title string }{{"pg", "PostgreSQL"}, {"pg10k", "PostgreSQL, small"}, {"sqlite", "SQLite"}} {
		t := r.targets[k.name]
		if t == nil {
			continue
		}
		how := "COPY (pgx CopyFrom), then VACUUM ANALYZE"
		if t.Store == "sqlite" {
			how = "multi-row INSERTs in one transaction"
		}
		r.p("| %s | %s | %s | %s | %s | %.0f s, %s |", k.title, thousands(t.Packages), thousands(t.Subscribers),
			thousands(t.Mailings), thousands(len(t.Delete)), t.SeedSeconds, how)
	}
	r.p("")
	r.p("Rows have the columns, attributes and links the host writes (checked below by delivering through the operator API and comparing): FNS subscriber ids are a 3-character prefix and an upper-case GUID, with the container's attributes and `files/{gate}/{guid[3:]}/{uid}/{filename}` links; PFR rows carry `regnum` and `/{regnum}/{uid}/{filename}`; Rosstat rows `okpo` and `/{okpo}/{uid}/{filename}`. Half the subscribers report to FNS, a quarter each to PFR and Rosstat; about 100 share a gate, so a gate lists hundreds of packages of a type; types are spread 40–45 %% 1C, 25–30 %% iOtchet and the rest. Packages arrive over a year in time order with random subscribers (so a subscriber's rows are scattered as in production); mass mailings over half a year. No package is deleted beforehand: every list index holds every row. The download scenario's package has a real 1 MiB file in the blob store's layout; the cold download's packages, seeded beside it, are hard links to that file. Each of these packages has the link record the host writes when it stores a package (docs/CONFIG.md, Storage), so the cold download is what an inbound package's first download is.")
	r.p("")
}

// scenarioNote says what a scenario asks for where its title cannot.
func (r *report) scenarioNote(store, scenario string) string {
	switch scenario {
	case "download":
		return "One link, downloaded again and again, as every subscriber downloads a mass mailing: after the first request the host answers it from its link cache (`links.cache_entries`)."
	case "download_cold":
		cold := 0
		if t := r.targets[store]; t != nil {
			cold = len(t.DownloadCold)
		}
		return fmt.Sprintf("Each request a different link, as an inbound package is downloaded about once: %s packages with the same bytes (hard links in the blob store, so every server reads the one file's page cache), taken in turn, more than the link cache keeps, so every lookup goes to the database. nginx and net/http are asked for the one file: they make no lookup, so the path changes nothing for them.", thousands(cold))
	}
	return ""
}

func (r *report) writeScenario(store, scenario, title, limit, note string) {
	lv := r.levels(store, scenario)
	if len(lv) == 0 {
		return
	}
	r.p("### %s", title)
	r.p("")
	if note != "" {
		r.p("%s", note)
		r.p("")
	}
	if limit == "" {
		r.p("No baseline: absolute figures only.")
		r.p("")
		r.p("| c | req/s | p50 ms | p99 ms | server CPU ms a request | machine CPU ms a request | host RSS before → peak; anonymous peak, MiB |")
		r.p("|---|---|---|---|---|---|---|")
		for _, c := range lv {
			x := r.get(store, scenario, "reportgate", c)
			if x == nil {
				continue
			}
			r.p("| %d | %s | %s | %s | %s | %.3f | %s |", c, rps(x), ms(x.P50ms), ms(x.P99ms), cpu(x), x.MachineCPUms, rss(x))
		}
		r.p("")
		return
	}
	r.p("| c | reportgate req/s | %s req/s | ratio | p50 ms reportgate / %s | p99 ms reportgate / %s | server CPU ms a request, reportgate / %s | machine CPU ms a request, reportgate / %s | host RSS before → peak; anonymous peak, MiB | %s RSS peak; anonymous peak, MiB |", limit, limit, limit, limit, limit, limit)
	r.p("|---|---|---|---|---|---|---|---|---|---|")
	for _, c := range lv {
		x, b := r.get(store, scenario, "reportgate", c), r.get(store, scenario, limit, c)
		if x == nil || b == nil {
			continue
		}
		q := "–"
		if b.RPS > 0 {
			q = fmt.Sprintf("%.2f", x.RPS/b.RPS)
		}
		lrss := "–"
		if b.HWMKiB > 0 && b.Server != "nginx" {
			lrss = fmt.Sprintf("%.1f%s", mib(b.HWMKiB), anon(b))
		}
		r.p("| %d | %s | %s | %s | %s / %s | %s / %s | %s / %s | %.3f / %.3f | %s | %s |", c, rps(x), rps(b), q, ms(x.P50ms), ms(b.P50ms),
			ms(x.P99ms), ms(b.P99ms), cpu(x), cpu(b), x.MachineCPUms, b.MachineCPUms, rss(x), lrss)
	}
	r.p("")
}

// writeDownloadReference sets reportgate's downloads beside the same file
// served by net/http alone (bench/baseline), which run in the same rounds:
// how much of the distance to nginx is Go's HTTP server and how much is
// reportgate's own work, the link lookup above all.
func (r *report) writeDownloadReference(store, scenario string) {
	var rows []string
	for _, c := range r.levels(store, scenario) {
		x, g, n := r.get(store, scenario, "reportgate", c), r.get(store, scenario, "baseline", c), r.get(store, scenario, "nginx", c)
		if x == nil || g == nil || n == nil || g.RPS == 0 || n.RPS == 0 {
			continue
		}
		rows = append(rows, fmt.Sprintf("| %d | %s | %.2f | %.2f | %s / %s | %s / %s | %s / %s |", c, rps(g), g.RPS/n.RPS, x.RPS/g.RPS,
			ms(x.P50ms), ms(g.P50ms), ms(x.P99ms), ms(g.P99ms), cpu(x), cpu(g)))
	}
	if len(rows) == 0 {
		return
	}
	r.p("The same file served by net/http alone (bench/baseline: open, `http.ServeContent`, close; no link lookup), in the same rounds: a reference for what a Go server reaches, not a limit the targets use.")
	r.p("")
	r.p("| c | net/http req/s | net/http ÷ nginx | reportgate ÷ net/http | p50 ms reportgate / net/http | p99 ms reportgate / net/http | server CPU ms a request, reportgate / net/http |")
	r.p("|---|---|---|---|---|---|---|")
	for _, row := range rows {
		r.p("%s", row)
	}
	r.p("")
}

func cpu(x *benchdata.Result) string {
	if x.ServerCPUms == 0 {
		return "–"
	}
	return fmt.Sprintf("%.3f", x.ServerCPUms)
}

// largeScaleHost is the name bench/run.sh gives the host on the large
// database in the pg10k phase.
const largeScaleHost = "reportgate_1m"

// scalePair is the host's figures for a list at a million rows and at ten
// thousand. bench/run.sh has the host on the large database take turns
// with the small one's in the same rounds (reportgate_1m, recorded under
// pg10k); results of a run from before that measured the two in separate
// phases, and their large figure is the PostgreSQL scenario's own.
func (r *report) scalePair(scenario string, c int) (big, small *benchdata.Result) {
	big = r.get("pg10k", scenario, largeScaleHost, c)
	if big == nil {
		big = r.get("pg", scenario, "reportgate", c)
	}
	return big, r.get("pg10k", scenario, "reportgate", c)
}

func (r *report) writeScale() {
	if len(r.levels("pg10k", "list_guid")) == 0 {
		return
	}
	r.p("## Scale: the lists on 1,000,000 packages against 10,000")
	r.p("")
	r.p("The small database has the same density (10 packages a subscriber, about 100 subscribers a gate), so a list returns as many items; only the table's size differs.")
	if r.get("pg10k", "list_guid", largeScaleHost, refLevel) != nil {
		r.p("")
		r.p("Two hosts, one on each database, take turns in the same rounds (with the small database's baseline), as every other ratio here is measured, so the machine's drift between scenarios does not enter the ratio. Each asks its own database's requests: the large one's lists of a gate are of hundreds of gates, the small one's of the ten or so it has, so the large host keeps many more lists in memory.")
	}
	r.p("")
	r.p("| scenario | c | p50 ms 1M / 10k | ratio | p99 ms 1M / 10k | ratio | req/s 1M / 10k |")
	r.p("|---|---|---|---|---|---|---|")
	for _, s := range []string{"list_guid", "list_gate"} {
		for _, c := range r.levels("pg10k", s) {
			big, small := r.scalePair(s, c)
			if big == nil || small == nil {
				continue
			}
			r.p("| %s | %d | %s / %s | %.2f | %s / %s | %.2f | %s / %s |", s, c, ms(big.P50ms), ms(small.P50ms), big.P50ms/small.P50ms,
				ms(big.P99ms), ms(small.P99ms), big.P99ms/small.P99ms, rps(big), rps(small))
		}
	}
	r.p("")
}

func (r *report) writeMethod() {
	m := r.meta
	r.p("## Method")
	r.p("")
	r.p("- `make bench` runs bench/run.sh: it builds `bin/` and the tools under bench/, installs nginx from Debian if it is missing, starts a PostgreSQL cluster of its own in a temporary folder with Debian's PostgreSQL binaries and shared_buffers a quarter of the memory (BENCH_PG_ADMIN_URL names a server to use instead, as it is configured), drops and creates the databases, migrates them with `bin/reportgate migrate`, seeds them with bench/seed, starts the host with a generated configuration (data under bench/out/, git-ignored), the baseline (bench/baseline) and nginx, and stops every process it started, and removes the cluster, on exit.")
	r.p("- bench/load drives each scenario with vegeta's attacker over loopback: at each concurrency (%s) a fixed number of requests, with as many workers as the concurrency (each its own keep-alive connection) sending as fast as answers come. Before a scenario each server gets a warm-up pass that is not recorded (for the lists: every distinct request once, so both servers meet a warm PostgreSQL).", m.Levels)
	r.p("- Each level runs %d rounds; within a round reportgate and its limit take turns, the one going first changing from round to round and level to level. req/s is the median of the rounds (each: successful requests over the round's duration); p50 and p99 are exact over every request of every round. Latency runs from sending the request to reading the whole body.", m.Rounds)
	r.p("- Requests a round: %s. Distinct requests, cycled: 2,000 lists by guid, 500 lists by gate, 1,000 massreports; every DELETE is a different seeded link; the download fetches the one 1 MiB package, the cold download a different link each time, all with that package's bytes. The 100 MiB upload runs one round, its files cleared between levels.", m.Requests)
	r.p("- The host keeps rendered lists of a gate and massreports (`lists.cache_bytes`, 128 MiB by default; docs/CONFIG.md, Lists of a gate and massreports) and answers one from memory while its version in the database stands (the gate's, or the direction's mailings'), one indexed lookup a request. list_gate and massreport measure the host as configured by default: their warm-up asks for every distinct request once, so the recorded rounds find them kept, as a gateway's repeated polls of an unchanged gate, and the subscribers of one office asking for its massreport, do. The baseline keeps nothing. list_gate_uncached and massreport_uncached restart the host with `lists.cache_bytes: 0` and send the same requests to it and to the same baseline: the like-for-like comparison of reading and rendering each answer.")
	r.p("- Uploads are FNS uploads (`POST /fns/packages`, a container name, the plugin's hook on every request, a row committed durably); the baseline streams the same multipart body to a file with SHA-256, fsync, rename and a directory fsync, and stores no row.")
	r.p("- RSS: before each level the load driver reads the server's VmRSS; before each round it resets the peak (`echo 5 > /proc/PID/clear_refs`) and after it reads VmHWM; the table shows the level's highest peak. The anonymous peak (RssAnon: heap and stacks, no mapped file) is sampled every 10 ms during each round, since the kernel keeps no peak of it. The two differ most on SQLite: the host maps the database file (docs/CONFIG.md, Database), and the baseline copies its settings; each pooled connection maps the file apart, and the kernel counts a mapped page in the resident set once for every connection that touched it, so there VmRSS counts the file's page cache several times over, while the memory the server holds is the anonymous part. The host's figure is the host process alone (its plugins are separate processes); nginx's is not given (its workers serve).")
	r.p("- Server CPU ms a request: user and system time of the server process and its children (the host's plugin processes, nginx's workers) over the level, divided by its requests; it leaves out PostgreSQL's work for the server and the load driver's, and is the figure least disturbed by anything else on the machine. For downloads it understates both servers, since the kernel does much of loopback TCP's work outside them. Machine CPU ms a request is the whole machine's busy time over the level (load driver and PostgreSQL included), divided by the requests.")
	if m.SQLiteUpload100mLevels != "" && m.SQLiteUpload100mLevels != m.Levels {
		r.p("- SQLite runs every scenario at every level on as many rows as PostgreSQL, except the 100 MiB upload, run at c=%s only: it is the same disk-bound path on either store (`BENCH_SQLITE_FULL=1` runs every level).", m.SQLiteUpload100mLevels)
	}
	r.p("- Nothing here runs in `make test`: the benchmark reports and never fails a build.")
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

func rps(x *benchdata.Result) string {
	s := fmt.Sprintf("%.0f", x.RPS)
	if x.RPS < 100 {
		s = fmt.Sprintf("%.1f", x.RPS)
	}
	if x.Success < 1 {
		s += fmt.Sprintf(" (%.1f %% ok)", x.Success*100)
	}
	return s
}

func ms(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func rss(x *benchdata.Result) string {
	if x.HWMKiB == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f → %.1f (%+.1f)%s", mib(x.RSSBeforeKiB), mib(x.HWMKiB), mib(x.HWMKiB-x.RSSBeforeKiB), anon(x))
}

// anon is a result's sampled anonymous peak, to follow its RSS; results
// recorded before it was sampled have none.
func anon(x *benchdata.Result) string {
	if x.AnonPeakKiB == 0 {
		return ""
	}
	return fmt.Sprintf("; anon. %.1f", mib(x.AnonPeakKiB))
}

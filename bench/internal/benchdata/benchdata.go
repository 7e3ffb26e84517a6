// Package benchdata holds what the benchmark's commands hand each other:
// the targets the seeder writes for the load driver, and the results the
// load driver records for the report and the plot.
package benchdata

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
)

// Targets are the requests a seeded database answers, written by
// bench/seed and read by bench/load. Paths are request paths with their
// query, to be joined to a server's base URL.
type Targets struct {
	Store       string `json:"store"`
	Packages    int    `json:"packages"`
	Subscribers int    `json:"subscribers"`
	Mailings    int    `json:"mailings"`
	// ListGUID lists a subscriber's packages of one type.
	ListGUID []string `json:"list_guid"`
	// ListGate lists a gate's packages of one type: hundreds of items.
	ListGate []string `json:"list_gate"`
	// Massreport lists a code's mass mailings over a month.
	Massreport []string `json:"massreport"`
	// Download is the link of the one package whose bytes are on disk.
	Download string `json:"download"`
	// DownloadFile is that package's file in the blob store.
	DownloadFile string `json:"download_file"`
	// DownloadCold are links of packages with the same bytes, for a
	// download whose link the host has not resolved lately.
	DownloadCold []string `json:"download_cold"`
	// Delete are links of packages seeded to be deleted, one a request.
	Delete []string `json:"delete"`
	// Upload is where a subscriber uploads, and the container name it
	// sends.
	UploadPath     string `json:"upload_path"`
	UploadFilename string `json:"upload_filename"`
	// SeedSeconds is how long the seeding took.
	SeedSeconds float64 `json:"seed_seconds"`
}

// ReadTargets reads a targets file.
func ReadTargets(path string) (*Targets, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var t Targets
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &t, nil
}

// Write writes a targets file.
func (t *Targets) Write(path string) error {
	b, err := json.MarshalIndent(t, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// Result is one scenario at one concurrency against one server.
type Result struct {
	// Store is postgres or sqlite; Rows the inbound packages seeded.
	Store string `json:"store"`
	Rows  int    `json:"rows"`
	// Scenario is list_guid, list_gate, massreport, download, delete,
	// upload_1m or upload_100m.
	Scenario string `json:"scenario"`
	// Server is reportgate, baseline or nginx.
	Server      string `json:"server"`
	Concurrency int    `json:"concurrency"`
	// Rounds is how many times the level was run, taking turns with the
	// other servers; Requests counts every round's.
	Rounds   int     `json:"rounds"`
	Requests int     `json:"requests"`
	Success  float64 `json:"success"`
	// Codes counts the answers by status code ("0" is a transport error).
	Codes map[string]int `json:"codes"`
	// FirstError is one error, to tell what went wrong.
	FirstError string `json:"first_error,omitempty"`
	// RPS is successful requests a second: the median of the rounds',
	// each over its whole round; RPSMin and RPSMax are the extremes.
	RPS    float64 `json:"rps"`
	RPSMin float64 `json:"rps_min"`
	RPSMax float64 `json:"rps_max"`
	// Latencies are over every request of every round.
	P50ms    float64 `json:"p50_ms"`
	P90ms    float64 `json:"p90_ms"`
	P99ms    float64 `json:"p99_ms"`
	MaxMs    float64 `json:"max_ms"`
	MeanMs   float64 `json:"mean_ms"`
	BytesIn  uint64  `json:"bytes_in"`
	BytesOut uint64  `json:"bytes_out"`
	Seconds  float64 `json:"seconds"`
	// The server process's resident set, in KiB: before the first round,
	// its peak during any round (VmHWM, reset before each), and after the
	// last. Zero when not measured.
	RSSBeforeKiB int64 `json:"rss_before_kib"`
	HWMKiB       int64 `json:"hwm_kib"`
	RSSAfterKiB  int64 `json:"rss_after_kib"`
	// AnonPeakKiB is the highest anonymous resident memory (RssAnon: heap,
	// stacks) sampled during any round. Unlike VmHWM it leaves out mapped
	// files, which SQLite's memory map puts in the resident set once for
	// every connection that maps them.
	AnonPeakKiB int64 `json:"anon_peak_kib,omitempty"`
	// ServerCPUms is the CPU time the server process and its children (the
	// host's plugins, nginx's workers) spent a request, user and system;
	// MachineCPUms is the whole machine's busy time a request (the load
	// driver and PostgreSQL included). Both in milliseconds.
	ServerCPUms  float64 `json:"server_cpu_ms"`
	MachineCPUms float64 `json:"machine_cpu_ms"`
	// HWMReset is whether the peak was reset before the run; when false,
	// HWMKiB is the peak since the process started.
	HWMReset bool   `json:"hwm_reset"`
	At       string `json:"at"`
}

// AppendResults appends results to a JSON Lines file.
func AppendResults(path string, rs ...Result) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	for _, r := range rs {
		if err := enc.Encode(r); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// ReadResults reads a JSON Lines file of results.
func ReadResults(path string) ([]Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Result
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var r Result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, r)
	}
	return out, sc.Err()
}

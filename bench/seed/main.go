// Command seed loads a migrated reportgate database with packages at an
// operator's scale, in bulk: COPY on PostgreSQL (pgx), multi-row INSERTs
// in one transaction on SQLite. Rows carry the columns, attributes and
// links the host writes for each direction's deliveries. It also stores
// the bytes of one package for the download scenario, and writes the
// targets the load driver requests.
//
//	seed -db postgres://…|sqlite:PATH -storage DIR -targets FILE [-packages N …]
//	seed verify -db URL -url http://HOST -token TOKEN
//
// verify delivers one package a direction through the running host's
// operator API and checks that the host wrote what the seeder writes.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/reportgate/reportgate/bench/internal/benchdata"
	"github.com/reportgate/reportgate/core/blob"
	"github.com/reportgate/reportgate/core/store"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "verify" {
		if err := verify(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "seed verify:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	dbURL := fs.String("db", "", "database URL, postgres://… or sqlite:PATH (migrated, empty)")
	storage := fs.String("storage", "", "the host's storage.dir, for the downloadable package's bytes")
	targetsPath := fs.String("targets", "", "where to write the targets for the load driver")
	packages := fs.Int("packages", 1_000_000, "inbound packages")
	subscribers := fs.Int("subscribers", 100_000, "subscribers, spread over FNS, PFR and Rosstat")
	mailings := fs.Int("mailings", 10_000, "mass mailings, FNS and Rosstat")
	deletes := fs.Int("deletes", 0, "extra inbound packages for the delete scenario, one request each")
	perGate := fs.Int("per-gate", 100, "subscribers a gate, on average")
	downloadBytes := fs.Int("download-bytes", 1<<20, "size of the downloadable package; 0 for none")
	coldDownloads := fs.Int("cold-downloads", 0, "more packages with the downloadable package's bytes, each to be downloaded once in a while")
	nGUID := fs.Int("list-guid-targets", 2000, "distinct list-by-guid requests")
	nGate := fs.Int("list-gate-targets", 500, "distinct list-by-gate requests")
	nMass := fs.Int("massreport-targets", 1000, "distinct massreport requests")
	tzName := fs.String("tz", "Europe/Moscow", "the host's timezone, for massreport dates")
	seed := fs.Uint64("seed", 1, "random seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dbURL == "" || *targetsPath == "" || (*storage == "" && *downloadBytes > 0) {
		return fmt.Errorf("-db, -targets and -storage are required")
	}
	tz, err := time.LoadLocation(*tzName)
	if err != nil {
		return err
	}
	dialect, _, err := store.ParseURL(*dbURL)
	if err != nil {
		return err
	}
	p := plan{
		packages: *packages, subscribers: max(1, *subscribers), mailings: *mailings, deletes: *deletes,
		perGate: max(1, *perGate), now: time.Now().UTC(), tz: tz, seed: *seed, coldDownloads: *coldDownloads,
	}
	if *downloadBytes > 0 {
		p.downloadBytes = make([]byte, *downloadBytes)
		r := rand.New(rand.NewPCG(*seed, 7))
		for i := 0; i+8 <= len(p.downloadBytes); i += 8 {
			v := r.Uint64()
			for j := range 8 {
				p.downloadBytes[i+j] = byte(v >> (8 * j))
			}
		}
	}
	g := newGenerator(p)
	ctx := context.Background()
	start := time.Now()
	switch dialect {
	case store.Postgres:
		err = writePostgres(ctx, *dbURL, g)
	case store.SQLite:
		err = writeSQLite(ctx, strings.TrimPrefix(*dbURL, "sqlite:"), g)
	}
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	t := &benchdata.Targets{
		Store: string(dialect), Packages: *packages, Subscribers: *subscribers, Mailings: *mailings,
		ListGUID:    g.choose(g.guidSamples, *nGUID),
		ListGate:    g.choose(g.gateSamples, *nGate),
		Massreport:  g.massreports(*nMass),
		Delete:      g.deleteLinks,
		UploadPath:  "/fns/packages",
		SeedSeconds: elapsed.Seconds(),
	}
	t.UploadFilename = g.upload
	if g.download != nil {
		file, err := writeBlob(*storage, g.download.idString(), p.downloadBytes)
		if err != nil {
			return fmt.Errorf("store the downloadable package: %w", err)
		}
		t.Download = "/" + escapePath(g.download.linkPath)
		t.DownloadFile = file
		records, err := blob.NewLocal(*storage)
		if err != nil {
			return err
		}
		if err := recordLink(records, g.download); err != nil {
			return err
		}
		// Hard links: each cold package has its own file in the store, and
		// all share the one page cache entry the hot package and nginx read.
		for _, rw := range g.cold {
			if err := linkBlob(*storage, rw.idString(), file); err != nil {
				return fmt.Errorf("store a package for the cold download: %w", err)
			}
			if err := recordLink(records, rw); err != nil {
				return err
			}
			t.DownloadCold = append(t.DownloadCold, "/"+escapePath(rw.linkPath))
		}
	}
	if err := t.Write(*targetsPath); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "seed: %d packages, %d subscribers, %d mailings, %d to delete into %s in %s\n",
		*packages, *subscribers, *mailings, *deletes, dialect, elapsed.Round(time.Millisecond))
	return nil
}

// recordLink writes the link record the host writes when it stores a
// package, so that the packages downloaded here are as the host's own.
func recordLink(records *blob.Local, rw *row) error {
	record, err := store.EncodeLinkRecord(rw.linkPath, &store.Package{ID: rw.idString(), Direction: rw.direction,
		Kind: store.Kind(rw.kind), Filename: rw.filename, Size: rw.size, SHA256: rw.sha256,
		DateIn: store.Time{Time: rw.dateIn}})
	if err != nil {
		return err
	}
	if err := records.PutLinkRecord(rw.linkPath, record); err != nil {
		return fmt.Errorf("record the link of a package to download: %w", err)
	}
	return nil
}

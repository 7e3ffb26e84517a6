// Command baseline is the benchmark's limit for what reportgate does: a
// minimal hand-written net/http server that runs the host's list and
// massreport SQL (copied from core/store/packages.go, same driver, same
// pool) and writes the same JSON, and takes an upload by streaming the
// multipart file to disk with SHA-256, fsync and rename, as the host's
// blob store does. It validates nothing and has no plugins. For downloads it
// also serves one file with net/http alone, beside nginx.
package main

import (
	"bufio"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	_ "github.com/lib/pq"
	_ "modernc.org/sqlite"
)

// The host's SQL, verbatim (core/store/packages.go): a list or massreport
// selects the columns its direction's response shows, in the response's
// order (core/store/row.go), under the host's WHERE and ORDER BY. bench/load
// -check -sql compares the texts PostgreSQL sees from both servers.
const (
	inboundQuery = `SELECT %s FROM packages
		WHERE kind = 'inbound' AND deleted_at IS NULL AND direction = ? AND type = ?`
	mailingQuery = `SELECT %s FROM packages
		WHERE kind = 'mailing' AND direction = ?`
)

// shape is what one route selects and how it writes a row, its columns
// scanned in order; date_in is scanned apart, as a time (PostgreSQL) or
// microseconds (SQLite).
type shape struct {
	columns string
	date    int // the index of date_in among the columns, or -1
	write   func(b []byte, c []sql.RawBytes, date any) []byte
}

var shapes = map[string]shape{
	"fns/packages": {"guid, uid, filename, link", -1, func(b []byte, c []sql.RawBytes, _ any) []byte {
		b = append(b, `{"guid": `...)
		b = append(str(b, c[0]), `, "uid": `...)
		b = append(str(b, c[1]), `, "filename": `...)
		b = append(str(b, c[2]), `, "link": `...)
		return append(str(b, c[3]), '}')
	}},
	"pfr/packages": {"uid, guid, attrs ->> 'regnum', filename, date_in, link", 4, func(b []byte, c []sql.RawBytes, date any) []byte {
		b = append(b, `{"uid": `...)
		b = append(str(b, c[0]), `, "guid": `...)
		b = append(str(b, c[1]), `, "regnum": `...)
		b = append(str(b, c[2]), `, "filename": `...)
		b = append(str(b, c[3]), `, "processed_at": "`...)
		b = append(at(date).In(tz).AppendFormat(b, "2006-01-02 15:04:05.000000"), `", "link": `...)
		return append(str(b, c[5]), '}')
	}},
	"rosstat/packages": {"uid, guid, attrs ->> 'okpo', filename, link", -1, func(b []byte, c []sql.RawBytes, _ any) []byte {
		b = append(b, `{"uid": `...)
		b = append(str(b, c[0]), `, "guid": `...)
		b = append(str(b, c[1]), `, "окпо": `...)
		b = append(str(b, c[2]), `, "filename": `...)
		b = append(str(b, c[3]), `, "link": `...)
		return append(str(b, c[4]), '}')
	}},
	"fns/massreport": {"code, uid, filename, link", -1, func(b []byte, c []sql.RawBytes, _ any) []byte {
		b = append(b, `{"fns": `...)
		b = append(str(b, c[0]), `, "uid": `...)
		b = append(str(b, c[1]), `, "filename": `...)
		b = append(str(b, c[2]), `, "link": `...)
		return append(str(b, c[3]), '}')
	}},
	"rosstat/massreport": {"link", -1, func(b []byte, c []sql.RawBytes, _ any) []byte {
		return str(b, c[0])
	}},
}

func at(v any) time.Time {
	switch t := v.(type) {
	case time.Time:
		return t
	case int64:
		return time.UnixMicro(t)
	}
	return time.Time{}
}

var (
	db       *sql.DB
	postgres bool
	tz       *time.Location
	dataDir  string
)

func main() {
	addr := flag.String("addr", "127.0.0.1:28081", "listen address")
	dbURL := flag.String("db", "", "postgres://… or sqlite:PATH")
	flag.StringVar(&dataDir, "storage", "", "where uploads are stored")
	downloadPath := flag.String("download-path", "", "a link path to serve the download file at")
	downloadFile := flag.String("download-file", "", "the file a download answers with")
	flag.Parse()
	var err error
	tz, _ = time.LoadLocation("Europe/Moscow")
	if path, ok := strings.CutPrefix(*dbURL, "sqlite:"); ok {
		// The host's DSN and pool for SQLite (core/store/store.go).
		q := url.Values{}
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "synchronous(FULL)")
		q.Add("_pragma", "foreign_keys(ON)")
		q.Add("_pragma", "mmap_size(1073741824)")
		q.Set("_txlock", "immediate")
		db, err = sql.Open("sqlite", "file:"+path+"?"+q.Encode())
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(8)
	} else {
		postgres = true
		// The host's default pool for PostgreSQL (core/store/store.go).
		db, err = sql.Open("postgres", *dbURL)
		db.SetMaxOpenConns(16)
		db.SetMaxIdleConns(16)
	}
	if err != nil {
		log.Fatal(err)
	}
	db.SetConnMaxIdleTime(5 * time.Minute)
	os.MkdirAll(filepath.Join(dataDir, "tmp"), 0o750)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{dir}/packages", list)
	mux.HandleFunc("GET /{dir}/massreport", massreport)
	mux.HandleFunc("POST /{dir}/packages", upload)
	if *downloadPath != "" {
		mux.HandleFunc("GET "+*downloadPath, func(w http.ResponseWriter, r *http.Request) { download(w, r, *downloadFile) })
	}
	log.Fatal((&http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}).ListenAndServe())
}

func rebind(q string) string {
	if !postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
		} else {
			b.WriteRune(c)
		}
	}
	return b.String()
}

func param(t time.Time) any {
	if postgres {
		return t.UTC()
	}
	return t.UnixMicro()
}

func list(w http.ResponseWriter, r *http.Request) {
	q, sh := r.URL.Query(), shapes[r.PathValue("dir")+"/packages"]
	if sh.columns == "" {
		http.NotFound(w, r)
		return
	}
	query, args := fmt.Sprintf(inboundQuery, sh.columns), []any{r.PathValue("dir"), q.Get("type")}
	if v := q.Get("guid"); v != "" {
		query += ` AND guid = ?`
		args = append(args, v)
	}
	if v := q.Get("gate"); v != "" {
		query += ` AND gate = ?`
		args = append(args, v)
	}
	respond(w, r, sh, query+` ORDER BY seq`, args)
}

func massreport(w http.ResponseWriter, r *http.Request) {
	q, sh := r.URL.Query(), shapes[r.PathValue("dir")+"/massreport"]
	if sh.columns == "" {
		http.NotFound(w, r)
		return
	}
	now := time.Now().In(tz)
	since := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, tz)
	until := since.AddDate(0, 0, 1)
	if d, err := time.ParseInLocation("2006-01-02", q.Get("date_start"), tz); err == nil {
		since = d
	}
	if d, err := time.ParseInLocation("2006-01-02", q.Get("date_end"), tz); err == nil {
		until = d.AddDate(0, 0, 1)
	}
	query, args := fmt.Sprintf(mailingQuery, sh.columns), []any{r.PathValue("dir")}
	if q.Get("code") != "" && !postgres {
		// As the host does: SQLite's planner picks the date index otherwise.
		query = strings.Replace(query, "FROM packages", "FROM packages INDEXED BY packages_mailing_code", 1)
	}
	if v := q.Get("code"); v != "" {
		query += ` AND code = ?`
		args = append(args, v)
	}
	query += ` AND date_in >= ? AND date_in < ? ORDER BY date_in, seq`
	respond(w, r, sh, query, append(args, param(since), param(until)))
}

// statements holds each query prepared once, as the host does: a limit
// that re-parsed its SQL on every request would flatter the host.
var statements sync.Map

func prepared(query string) (*sql.Stmt, error) {
	if v, ok := statements.Load(query); ok {
		return v.(*sql.Stmt), nil
	}
	stmt, err := db.Prepare(rebind(query))
	if err != nil {
		return nil, err
	}
	if v, loaded := statements.LoadOrStore(query, stmt); loaded {
		stmt.Close()
		return v.(*sql.Stmt), nil
	}
	return stmt, nil
}

// respond streams the rows as a JSON array in the route's shape.
func respond(w http.ResponseWriter, r *http.Request, sh shape, query string, args []any) {
	stmt, err := prepared(query)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	rows, err := stmt.QueryContext(r.Context(), args...)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer rows.Close()
	n := strings.Count(sh.columns, ",") + 1
	c := make([]sql.RawBytes, n)
	dst := make([]any, n)
	var date any
	for i := range dst {
		dst[i] = &c[i]
	}
	if sh.date >= 0 {
		dst[sh.date] = &date
	}
	w.Header().Set("Content-Type", "application/json")
	bw := bufio.NewWriterSize(w, 32<<10)
	bw.WriteByte('[')
	b := make([]byte, 0, 1024)
	for k := 0; rows.Next(); k++ {
		if err := rows.Scan(dst...); err != nil {
			panic(http.ErrAbortHandler)
		}
		b = b[:0]
		if k > 0 {
			b = append(b, ", "...)
		}
		bw.Write(sh.write(b, c, date))
	}
	if rows.Err() != nil {
		panic(http.ErrAbortHandler)
	}
	bw.WriteByte(']')
	bw.Flush()
}

// str appends a JSON string, or null for an empty value.
func str(b, s []byte) []byte {
	if len(s) == 0 {
		return append(b, "null"...)
	}
	b = append(b, '"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// upload streams the file part to a temporary file while hashing it,
// fsyncs it, renames it into place and fsyncs the directory.
func upload(w http.ResponseWriter, r *http.Request) {
	mr, err := r.MultipartReader()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var (
		filename, sum string
		size          int64
		id            = uuid.Must(uuid.NewV7()).String()
	)
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if part.FileName() == "" {
			io.Copy(io.Discard, io.LimitReader(part, 1<<20))
			continue
		}
		filename = part.FileName()
		if size, sum, err = store(part, id); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	host, _, _ := strings.Cut(r.RemoteAddr, ":")
	out, _ := json.Marshal(map[string]any{
		"id": id, "filename": filename, "client_ip": host, "size": size, "sha256": sum,
		"date_in": time.Now().In(tz).Format("2006-01-02 15:04:05"),
	})
	w.Header().Set("Content-Type", "application/json")
	w.Write(out)
}

func store(part *multipart.Part, id string) (int64, string, error) {
	f, err := os.CreateTemp(filepath.Join(dataDir, "tmp"), "*.part")
	if err != nil {
		return 0, "", err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), part)
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		return 0, "", err
	}
	dir := filepath.Join(dataDir, "packages", id[len(id)-2:])
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return 0, "", err
	}
	if err := os.Rename(f.Name(), filepath.Join(dir, id)); err != nil {
		return 0, "", err
	}
	d, err := os.Open(dir)
	if err != nil {
		return 0, "", err
	}
	defer d.Close()
	return n, hex.EncodeToString(h.Sum(nil)), d.Sync()
}

// download answers with the file as net/http alone does it: open,
// http.ServeContent (sendfile), close. It is no limit the issue names,
// only a second reference beside nginx: how close a Go server that makes
// no link lookup comes.
func download(w http.ResponseWriter, r *http.Request, file string) {
	f, err := os.Open(file)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/zip")
	http.ServeContent(w, r, "", time.Time{}, f)
}

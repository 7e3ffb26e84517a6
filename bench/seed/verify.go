package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/reportgate/reportgate/core/store"
)

// verify delivers an inbound package and publishes a mailing through the
// running host's operator API, for each direction, and checks that the
// rows the host wrote have the shape of the seeded ones: the same columns
// set and unset, the same attribute names, links built alike, and the
// guid bound to its gate. The delivered packages are DELETEd afterwards.
func verify(args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	dbURL := fs.String("db", "", "the seeded database")
	base := fs.String("url", "", "the running host, http://HOST:PORT")
	token := fs.String("token", "", "an operator token of the host")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dialect, dsn, err := store.ParseURL(*dbURL)
	if err != nil {
		return err
	}
	db, err := sql.Open(string(dialect), dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	rebind := func(q string) string {
		if dialect != store.Postgres {
			return q
		}
		n := 0
		var b strings.Builder
		for _, c := range q {
			if c == '?' {
				n++
				fmt.Fprintf(&b, "$%d", n)
				continue
			}
			b.WriteRune(c)
		}
		return b.String()
	}
	ctx := context.Background()
	v := &verifier{db: db, rebind: rebind, base: strings.TrimRight(*base, "/"), token: *token}
	for _, dir := range dirNames {
		if err := v.inbound(ctx, dir); err != nil {
			return fmt.Errorf("%s delivery: %w", dir, err)
		}
		if dir == "pfr" {
			continue // PFR has no mass mailings
		}
		if err := v.mailing(ctx, dir); err != nil {
			return fmt.Errorf("%s mailing: %w", dir, err)
		}
	}
	fmt.Println("seed verify: the host's deliveries and mailings have the seeded rows' shape in every direction")
	return nil
}

type verifier struct {
	db     *sql.DB
	rebind func(string) string
	base   string
	token  string
}

const verifyColumns = `id, direction, kind, uid, type, guid, gate, code, filename, link, link_path,
	size, sha256, client_ip, sent_at, date_in, deleted_at, acked_at, purged_at, attrs`

// record is a row by column name; values as the driver hands them back.
type record map[string]any

func (v *verifier) row(ctx context.Context, where string, args ...any) (record, error) {
	rows, err := v.db.QueryContext(ctx, v.rebind(`SELECT `+verifyColumns+` FROM packages WHERE `+where), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	if !rows.Next() {
		return nil, fmt.Errorf("no row where %s %v", where, args)
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	r := record{}
	for i, c := range cols {
		if b, ok := vals[i].([]byte); ok {
			vals[i] = string(b)
		}
		r[c] = vals[i]
	}
	return r, rows.Err()
}

func (r record) str(col string) string {
	if r[col] == nil {
		return ""
	}
	return fmt.Sprint(r[col])
}

func (r record) attrs() (map[string]string, error) {
	m := map[string]string{}
	err := json.Unmarshal([]byte(r.str("attrs")), &m)
	return m, err
}

func (v *verifier) inbound(ctx context.Context, dir string) error {
	seeded, err := v.row(ctx, `direction = ? AND kind = 'inbound' AND deleted_at IS NULL ORDER BY seq LIMIT 1`, dir)
	if err != nil {
		return err
	}
	attrs, err := seeded.attrs()
	if err != nil {
		return err
	}
	guid, gate, typ := seeded.str("guid"), seeded.str("gate"), seeded.str("type")
	fields := map[string]string{"type": typ, "gate": gate}
	var filename string
	switch dir {
	case "fns":
		filename = fmt.Sprintf("FNS_%s_%s_%032x_01_01_01.zip", attrs["ifns_code"], guid, time.Now().UnixNano())
	case "pfr":
		fields["guid"], fields["regnum"] = guid, attrs["regnum"]
		filename = "verify.xml.zip"
	case "rosstat":
		fields["guid"], fields["okpo"] = guid, attrs["okpo"]
		filename = "verify.xml.zip"
	}
	id, err := v.post(ctx, "/operator/v1/directions/"+dir+"/packages", filename, fields)
	if err != nil {
		return err
	}
	delivered, err := v.row(ctx, `id = ?`, id)
	if err != nil {
		return err
	}
	if err := sameShape(seeded, delivered); err != nil {
		return err
	}
	var bound string
	if err := v.db.QueryRowContext(ctx, v.rebind(`SELECT gate FROM subscribers WHERE direction = ? AND guid = ?`), dir, guid).Scan(&bound); err != nil {
		return fmt.Errorf("the seeded subscriber: %w", err)
	}
	if bound != gate {
		return fmt.Errorf("the subscribers table binds %s to %s, the packages to %s", guid, bound, gate)
	}
	// Leave the lists as they were seeded.
	req, _ := http.NewRequestWithContext(ctx, http.MethodDelete, v.base+"/"+escapePath(delivered.str("link_path")), nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		return fmt.Errorf("DELETE of the delivered package answered %s", res.Status)
	}
	return nil
}

func (v *verifier) mailing(ctx context.Context, dir string) error {
	seeded, err := v.row(ctx, `direction = ? AND kind = 'mailing' ORDER BY seq LIMIT 1`, dir)
	if err != nil {
		return err
	}
	filename := "verify.zip"
	if dir == "fns" {
		filename = fmt.Sprintf("FNS_%s_1AE_%032x_04_01_01.zip", seeded.str("code"), time.Now().UnixNano())
	}
	id, err := v.post(ctx, "/operator/v1/directions/"+dir+"/massreports", filename, map[string]string{"code": seeded.str("code")})
	if err != nil {
		return err
	}
	published, err := v.row(ctx, `id = ?`, id)
	if err != nil {
		return err
	}
	return sameShape(seeded, published)
}

// sameShape compares a seeded row with one the host wrote.
func sameShape(seeded, host record) error {
	for col := range host {
		if (seeded[col] == nil) != (host[col] == nil) {
			return fmt.Errorf("column %s: seeded %v, the host wrote %v", col, seeded[col], host[col])
		}
	}
	for _, col := range []string{"direction", "kind", "type", "guid", "gate", "code"} {
		if seeded.str(col) != host.str(col) {
			return fmt.Errorf("column %s: seeded %q, the host wrote %q", col, seeded.str(col), host.str(col))
		}
	}
	if len(seeded.str("uid")) != len(host.str("uid")) {
		return fmt.Errorf("uid: seeded %q, the host wrote %q", seeded.str("uid"), host.str("uid"))
	}
	sa, err := seeded.attrs()
	if err != nil {
		return err
	}
	ha, err := host.attrs()
	if err != nil {
		return err
	}
	if !slices.Equal(sortedKeys(sa), sortedKeys(ha)) {
		return fmt.Errorf("attrs: seeded %v, the host wrote %v", sa, ha)
	}
	for k, val := range sa {
		// The subscriber's own fields match; the document's differ.
		if k != "doc_uid" && k != "docflow" && k != "transaction" && k != "doctype" && ha[k] != val {
			return fmt.Errorf("attrs %s: seeded %q, the host wrote %q", k, val, ha[k])
		}
	}
	if a, b := template(seeded), template(host); a != b {
		return fmt.Errorf("link: seeded %s, the host wrote %s", a, b)
	}
	if seeded.str("link_path") != strings.TrimLeft(seeded.str("link"), "/") {
		return fmt.Errorf("seeded link_path %q is not the link without leading slashes", seeded.str("link_path"))
	}
	return nil
}

// template is a link with its uid and file name taken out.
func template(r record) string {
	return strings.NewReplacer(r.str("uid"), "{uid}", r.str("filename"), "{filename}").Replace(r.str("link"))
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// post sends an operator delivery and returns the package id.
func (v *verifier) post(ctx context.Context, path, filename string, fields map[string]string) (string, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", filename)
	fw.Write([]byte("PK verify"))
	for k, val := range fields {
		mw.WriteField(k, val)
	}
	mw.Close()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, v.base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+v.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("POST %s answered %s: %s", path, res.Status, b)
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return "", err
	}
	return out.ID, nil
}

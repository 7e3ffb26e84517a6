package e2e

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// moscow is the host's configured time zone (UTC+3 all year since 2014).
var moscow = time.FixedZone("MSK", 3*60*60)

var (
	dashedUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	hexUID     = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

// randomBytes is a package body nobody else sends.
func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// checkRecent fails unless s is a time in layout, in the host's zone,
// within a minute of now.
func checkRecent(t *testing.T, what, layout, s string) {
	t.Helper()
	at, err := time.ParseInLocation(layout, s, moscow)
	if err != nil {
		t.Errorf("%s %q is not %q: %v", what, s, layout, err)
		return
	}
	if d := time.Since(at); d < -time.Minute || d > time.Minute {
		t.Errorf("%s %q is not now in Europe/Moscow (off by %s)", what, s, d)
	}
}

// opError is the operator API's error body.
type opError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details []struct {
			Param   string `json:"param"`
			Kind    string `json:"kind"`
			Message string `json:"message"`
		} `json:"details"`
	} `json:"error"`
}

// wantOpError fails unless resp is status in the operator format with the
// code.
func wantOpError(t *testing.T, resp Response, status int, code string) opError {
	t.Helper()
	if resp.Status != status {
		t.Fatalf("status %d, want %d: %s", resp.Status, status, resp.Body)
	}
	var e opError
	resp.JSON(t, &e)
	if e.Error.Code != code || e.Error.Message == "" {
		t.Fatalf("error body %s: want code %q and a message", resp.Body, code)
	}
	return e
}

// wantNotFoundDetail fails unless resp is the host's plain 404.
func wantNotFoundDetail(t *testing.T, resp Response) {
	t.Helper()
	if resp.Status != http.StatusNotFound {
		t.Fatalf("status %d, want 404: %s", resp.Status, resp.Body)
	}
	var body map[string]any
	resp.JSON(t, &body)
	if len(body) != 1 || body["detail"] != "Not Found" {
		t.Fatalf(`body %s, want {"detail": "Not Found"}`, resp.Body)
	}
}

func str(p *string) string {
	if p == nil {
		return "<null>"
	}
	return *p
}

// countRows counts the host's package rows that match a condition.
func countRows(t *testing.T, h *Host, where string, args ...any) int {
	t.Helper()
	st := h.Store(t)
	var n int
	if err := st.DB().Get(&n, st.DB().Rebind(`SELECT COUNT(*) FROM packages WHERE `+where), args...); err != nil {
		t.Fatal(err)
	}
	return n
}

// storedFiles lists the files under a directory of the host's storage,
// relative to it: "tmp" for uploads being written, "packages" for
// committed ones.
func storedFiles(t *testing.T, h *Host, sub string) []string {
	t.Helper()
	root := filepath.Join(h.Dir, "packages", sub)
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, path)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}

// wantNoTemporaryFiles fails when an upload left a file being written.
func wantNoTemporaryFiles(t *testing.T, h *Host) {
	t.Helper()
	if left := storedFiles(t, h, "tmp"); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// subscriberOf is a fresh guid as a direction spells it.
func subscriberOf(dir string) string {
	if dir == "fns" {
		return fnsSubscriber()
	}
	return uuid.NewString()
}

// gateOf is a fresh gate: a UUID, which every direction takes.
func gateOf() string { return uuid.NewString() }

// deliverForm is a delivery of body to guid in a direction, with the
// direction's own field; gate is left out when empty.
func deliverForm(dir, guid, gate, productType string, body []byte) Form {
	f := Form{Fields: [][2]string{field("guid", guid), field("type", productType)}, File: body}
	if gate != "" {
		f.Fields = append(f.Fields, field("gate", gate))
	}
	switch dir {
	case "fns":
		f.FileName = "letter-" + uuid.NewString()[:8] + ".zip"
	case "pfr":
		f.Fields = append(f.Fields, field("regnum", "099-099-999999"))
		f.FileName = "pfr-" + uuid.NewString()[:8] + ".zip"
	case "rosstat":
		f.Fields = append(f.Fields, field("okpo", "12345678"))
		f.FileName = "rosstat-" + uuid.NewString()[:8] + ".zip"
	}
	return f
}

// listPath is a direction's subscriber list for a type and guid.
func listPath(dir, productType, guid string) string {
	return "/" + dir + "/packages?type=" + productType + "&guid=" + url.QueryEscape(guid)
}

// listed is the links of a list, failing unless it answers 200.
func listed(t *testing.T, h *Host, path string) []string {
	t.Helper()
	return listedField(t, h, path, "link")
}

// listedField is one string field of every item a list shows, in order.
func listedField(t *testing.T, h *Host, path, field string) []string {
	t.Helper()
	resp := h.Get(t, path)
	if resp.Status != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", path, resp.Status, resp.Body)
	}
	var items []map[string]any
	resp.JSON(t, &items)
	values := []string{}
	for _, it := range items {
		v, _ := it[field].(string)
		values = append(values, v)
	}
	return values
}

var directions = []string{"fns", "pfr", "rosstat"}

func TestOperatorDeliverAnswersWithTheLink(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		for _, dir := range directions {
			t.Run(dir, func(t *testing.T) {
				guid, gate := subscriberOf(dir), gateOf()
				body := randomBytes(t, 777)
				f := deliverForm(dir, guid, gate, "ao5", body)
				resp := h.Operator(t, http.MethodPost, "/operator/v1/directions/"+dir+"/packages", &f)
				if resp.Status != http.StatusCreated {
					t.Fatalf("status %d, want 201: %s", resp.Status, resp.Body)
				}
				if keys := jsonKeys(t, resp.Body); !slices.Equal(keys, []string{"id", "uid", "link", "filename", "date_in"}) {
					t.Errorf("keys %v, want id, uid, link, filename, date_in", keys)
				}
				var d Delivered
				resp.JSON(t, &d)
				if !dashedUUID.MatchString(d.ID) || d.Filename != f.FileName {
					t.Errorf("answer %+v: want a UUID id and filename %q", d, f.FileName)
				}
				checkRecent(t, "date_in", "2006-01-02 15:04:05", d.DateIn)
				var want string
				switch dir {
				case "fns":
					if !hexUID.MatchString(d.UID) {
						t.Errorf("FNS uid %q is not 32 hex digits", d.UID)
					}
					want = "files/" + gate + "/" + guid[3:] + "/" + d.UID + "/" + f.FileName
				case "pfr":
					if !dashedUUID.MatchString(d.UID) {
						t.Errorf("PFR uid %q is not a dashed UUID", d.UID)
					}
					want = "/099-099-999999/" + d.UID + "/" + f.FileName
				case "rosstat":
					if !dashedUUID.MatchString(d.UID) {
						t.Errorf("Rosstat uid %q is not a dashed UUID", d.UID)
					}
					want = "/12345678/" + d.UID + "/" + f.FileName
				}
				if d.Link != want {
					t.Errorf("link %q, want %q", d.Link, want)
				}
				if got := listed(t, h, listPath(dir, "ao5", guid)); !slices.Equal(got, []string{d.Link}) {
					t.Errorf("the subscriber's list is %v, want [%s]", got, d.Link)
				}
				got := h.Get(t, "/"+strings.TrimPrefix(d.Link, "/"))
				if got.Status != http.StatusOK || !bytes.Equal(got.Body, body) {
					t.Errorf("GET the link: status %d, %d bytes; want 200 and the delivered bytes", got.Status, len(got.Body))
				}
				content := h.Operator(t, http.MethodGet, "/operator/v1/packages/"+d.ID+"/content", nil)
				if content.Status != http.StatusOK || !bytes.Equal(content.Body, body) {
					t.Errorf("content: status %d, %d bytes; want 200 and the delivered bytes", content.Status, len(content.Body))
				}
			})
		}
	})
}

func TestOperatorFNSDeliveryTakesTheGuidFromTheFileName(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		sub := fnsSubscriber()
		lower := strings.ToLower(sub)
		cases := []struct {
			name   string
			fields [][2]string
			file   string
		}{
			{"office to subscriber, no guid", [][2]string{field("type", "1c"), field("gate", "gw-a")}, fnsName("9965", sub, "07_01_01")},
			{"lower-case id in the name", [][2]string{field("type", "1c"), field("gate", "gw-a")}, fnsName("9965", lower, "07_01_01")},
			{"guid agrees with the name", [][2]string{field("guid", lower), field("type", "1c")}, fnsName(sub, "9965", "01_01_01")},
		}
		var links []string
		for _, c := range cases {
			d := h.Deliver(t, "fns", Form{Fields: c.fields, FileName: c.file, File: []byte(c.name)})
			want := "files/gw-a/" + sub[3:] + "/" + d.UID + "/" + c.file
			if d.Link != want {
				t.Errorf("%s: link %q, want %q", c.name, d.Link, want)
			}
			links = append(links, d.Link)
		}
		if got := listed(t, h, listPath("fns", "1c", sub)); !slices.Equal(got, links) {
			t.Errorf("list of %s: %v, want %v", sub, got, links)
		}
		if got := listed(t, h, listPath("fns", "1c", lower)); !slices.Equal(got, links) {
			t.Errorf("list of the lower-case %s: %v, want %v", lower, got, links)
		}
		// A name addressed to someone else contradicts the guid.
		f := Form{Fields: [][2]string{field("guid", fnsSubscriber()), field("type", "1c"), field("gate", "gw-a")},
			FileName: fnsName("9965", sub, "07_01_01"), File: []byte("x")}
		resp := h.Operator(t, http.MethodPost, "/operator/v1/directions/fns/packages", &f)
		e := wantOpError(t, resp, http.StatusBadRequest, "invalid_request")
		if len(e.Error.Details) != 1 || e.Error.Details[0].Param != "guid" {
			t.Errorf("details %+v, want one about guid", e.Error.Details)
		}
		if got := listed(t, h, listPath("fns", "1c", sub)); !slices.Equal(got, links) {
			t.Errorf("a refused delivery changed the list: %v", got)
		}
	})
}

func TestOperatorPublish(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		t.Run("fns default gate", func(t *testing.T) {
			f := Form{Fields: [][2]string{field("code", "7701")}, FileName: "massreport_fns_1.zip", File: []byte("fns mailing")}
			d := h.Publish(t, "fns", f)
			if want := "files/gpr/7701/" + d.UID + "/massreport_fns_1.zip"; d.Link != want || !hexUID.MatchString(d.UID) {
				t.Errorf("link %q uid %q, want %q", d.Link, d.UID, want)
			}
			resp := h.Get(t, "/fns/massreport?code=7701")
			var items []map[string]string
			resp.JSON(t, &items)
			want := []map[string]string{{"fns": "7701", "uid": d.UID, "filename": "massreport_fns_1.zip", "link": d.Link}}
			if resp.Status != http.StatusOK || fmt.Sprint(items) != fmt.Sprint(want) {
				t.Errorf("massreport: %d %s, want %v", resp.Status, resp.Body, want)
			}
			if got := h.Get(t, "/"+d.Link); got.Status != http.StatusOK || string(got.Body) != "fns mailing" {
				t.Errorf("GET the mailing's link: %d %q", got.Status, got.Body)
			}
		})
		t.Run("fns own gate", func(t *testing.T) {
			f := Form{Fields: [][2]string{field("code", "7702"), field("gate", "gw-b")}, FileName: "m.zip", File: []byte("m")}
			d := h.Publish(t, "fns", f)
			if want := "files/gw-b/7702/" + d.UID + "/m.zip"; d.Link != want {
				t.Errorf("link %q, want %q", d.Link, want)
			}
		})
		t.Run("rosstat", func(t *testing.T) {
			f := Form{Fields: [][2]string{field("code", "45-12")}, FileName: "massreport1_3_1.zip", File: []byte("rosstat mailing")}
			d := h.Publish(t, "rosstat", f)
			if want := "/45-12/" + d.UID + "/massreport1_3_1.zip"; d.Link != want || !dashedUUID.MatchString(d.UID) {
				t.Errorf("link %q uid %q, want %q", d.Link, d.UID, want)
			}
			resp := h.Get(t, "/rosstat/massreport?code=45-12")
			var links []string
			resp.JSON(t, &links)
			if resp.Status != http.StatusOK || !slices.Equal(links, []string{d.Link}) {
				t.Errorf("massreport: %d %s, want [%q]", resp.Status, resp.Body, d.Link)
			}
		})
		t.Run("pfr has none", func(t *testing.T) {
			f := Form{Fields: [][2]string{field("code", "45-12")}, FileName: "m.zip", File: []byte("m")}
			resp := h.Operator(t, http.MethodPost, "/operator/v1/directions/pfr/massreports", &f)
			wantOpError(t, resp, http.StatusNotFound, "not_supported")
			if n := countRows(t, h, `direction = 'pfr'`); n != 0 {
				t.Errorf("%d PFR packages stored, want none", n)
			}
		})
		t.Run("unknown direction", func(t *testing.T) {
			f := Form{Fields: [][2]string{field("code", "45-12")}, FileName: "m.zip", File: []byte("m")}
			resp := h.Operator(t, http.MethodPost, "/operator/v1/directions/nalog/massreports", &f)
			wantOpError(t, resp, http.StatusNotFound, "unknown_direction")
		})
	})
}

func TestOperatorDeliveryValidation(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		cases := []struct {
			name, dir, route string
			// fields replace or add to the valid ones; a value of "-"
			// removes the field.
			fields   map[string]string
			fileName string
			noFile   bool
			// params are the details, in order; none means accepted.
			params []string
			// message is one detail's exact message, when set.
			message string
		}{
			{name: "pfr short regnum", dir: "pfr", fields: map[string]string{"regnum": "099-099-99999"}, params: []string{"regnum"},
				message: `string does not match regex "^\d{3}-\d{3}-\d{6}$"`},
			{name: "pfr regnum without dashes", dir: "pfr", fields: map[string]string{"regnum": "099099999999"}, params: []string{"regnum"}},
			{name: "pfr no regnum", dir: "pfr", fields: map[string]string{"regnum": "-"}, params: []string{"regnum"}, message: "field required"},
			{name: "pfr bad guid and gate", dir: "pfr", fields: map[string]string{"guid": "not-a-uuid", "gate": "gate-1"}, params: []string{"guid", "gate"},
				message: "value is not a valid uuid"},
			{name: "pfr unknown type", dir: "pfr", fields: map[string]string{"type": "platform"}, params: []string{"type"},
				message: "value is not a valid enumeration member; permitted: '1c', 'iotchet', 'ao4', 'ao5'"},
			{name: "pfr everything missing", dir: "pfr", fields: map[string]string{"guid": "-", "type": "-", "regnum": "-"}, noFile: true,
				params: []string{"file", "guid", "type", "regnum"}},
			{name: "rosstat okpo of 7 digits", dir: "rosstat", fields: map[string]string{"okpo": "1234567"}, params: []string{"okpo"},
				message: `string does not match regex "^(\d{8}|\d{10}|\d{14})$"`},
			{name: "rosstat okpo of 9 digits", dir: "rosstat", fields: map[string]string{"okpo": "123456789"}, params: []string{"okpo"}},
			{name: "rosstat okpo of 11 digits", dir: "rosstat", fields: map[string]string{"okpo": "12345678901"}, params: []string{"okpo"}},
			{name: "rosstat okpo of 13 digits", dir: "rosstat", fields: map[string]string{"okpo": "1234567890123"}, params: []string{"okpo"}},
			{name: "rosstat okpo of 15 digits", dir: "rosstat", fields: map[string]string{"okpo": "123456789012345"}, params: []string{"okpo"}},
			{name: "rosstat okpo with a letter", dir: "rosstat", fields: map[string]string{"okpo": "1234567a"}, params: []string{"okpo"}},
			{name: "rosstat okpo with a newline", dir: "rosstat", fields: map[string]string{"okpo": "12345678\n"}, params: []string{"okpo"}},
			{name: "rosstat okpo of 8 digits", dir: "rosstat", fields: map[string]string{"okpo": "12345678"}},
			{name: "rosstat okpo of 10 digits", dir: "rosstat", fields: map[string]string{"okpo": "1234567890"}},
			{name: "rosstat okpo of 14 digits", dir: "rosstat", fields: map[string]string{"okpo": "12345678901234"}},
			{name: "rosstat no okpo, no guid", dir: "rosstat", fields: map[string]string{"okpo": "-", "guid": "-"}, params: []string{"guid", "okpo"}},
			{name: "fns no guid and not a container name", dir: "fns", fields: map[string]string{"guid": "-"}, params: []string{"guid"}},
			{name: "fns guid without the operator prefix", dir: "fns", fields: map[string]string{"guid": uuid.NewString()}, params: []string{"guid"}},
			{name: "fns gate with a slash", dir: "fns", fields: map[string]string{"gate": "a/b"}, params: []string{"gate"}},
			{name: "fns no type", dir: "fns", fields: map[string]string{"type": "-"}, params: []string{"type"}, message: `"type" is required`},
			{name: "fns publish without code", dir: "fns", route: "massreports", fields: map[string]string{"code": "-"}, params: []string{"code"}},
			{name: "fns publish short code", dir: "fns", route: "massreports", fields: map[string]string{"code": "770"}, params: []string{"code"},
				message: `"code" string does not match regex "^\d{4}$"`},
			{name: "rosstat publish bad code", dir: "rosstat", route: "massreports", fields: map[string]string{"code": "4512"}, params: []string{"code"},
				message: `string does not match regex "^\d{2}-\d{2}$"`},
			{name: "rosstat publish no file", dir: "rosstat", route: "massreports", noFile: true, params: []string{"file"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				guid := subscriberOf(c.dir)
				var f Form
				if c.route == "massreports" {
					code := map[string]string{"fns": "7703", "rosstat": "11-22"}[c.dir]
					f = Form{Fields: [][2]string{field("code", code)}, FileName: "m-" + guid + ".zip", File: []byte("m")}
				} else {
					c.route = "packages"
					f = deliverForm(c.dir, guid, gateOf(), "ao5", []byte("body"))
				}
				f.NoFile = c.noFile
				for name, value := range c.fields {
					i := slices.IndexFunc(f.Fields, func(kv [2]string) bool { return kv[0] == name })
					switch {
					case value == "-" && i >= 0:
						f.Fields = slices.Delete(f.Fields, i, i+1)
					case i >= 0:
						f.Fields[i][1] = value
					default:
						f.Fields = append(f.Fields, field(name, value))
					}
				}
				before := countRows(t, h, `direction = ?`, c.dir)
				resp := h.Operator(t, http.MethodPost, "/operator/v1/directions/"+c.dir+"/"+c.route, &f)
				if c.params == nil {
					if resp.Status != http.StatusCreated {
						t.Fatalf("status %d, want 201: %s", resp.Status, resp.Body)
					}
					return
				}
				e := wantOpError(t, resp, http.StatusBadRequest, "invalid_request")
				var params []string
				for _, d := range e.Error.Details {
					params = append(params, d.Param)
					if !strings.Contains(e.Error.Message, d.Param) {
						t.Errorf("message %q does not name %q", e.Error.Message, d.Param)
					}
				}
				if !slices.Equal(params, c.params) {
					t.Errorf("details about %v, want %v: %s", params, c.params, resp.Body)
				}
				if c.message != "" && (len(e.Error.Details) == 0 || e.Error.Details[0].Message != c.message) {
					t.Errorf("first detail %+v, want the message %q", e.Error.Details, c.message)
				}
				if after := countRows(t, h, `direction = ?`, c.dir); after != before {
					t.Errorf("a refused delivery stored %d packages", after-before)
				}
				wantNoTemporaryFiles(t, h)
			})
		}
	})
}

func TestOperatorOneGuidOneGate(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		for _, dir := range directions {
			t.Run(dir, func(t *testing.T) {
				guid, gate, other := subscriberOf(dir), gateOf(), gateOf()
				first := h.Deliver(t, dir, deliverForm(dir, guid, gate, "ao5", []byte("first")))
				blobs := len(storedFiles(t, h, "packages"))
				rows := countRows(t, h, `direction = ?`, dir)

				// The same guid, spelt as a client might, with another gate.
				spelt := strings.ToUpper(guid)
				if dir == "fns" {
					spelt = strings.ToLower(guid)
				}
				for _, g := range []string{guid, spelt} {
					f := deliverForm(dir, g, other, "ao5", []byte("second"))
					resp := h.Operator(t, http.MethodPost, "/operator/v1/directions/"+dir+"/packages", &f)
					wantOpError(t, resp, http.StatusConflict, "gate_conflict")
				}
				if got := listed(t, h, listPath(dir, "ao5", guid)); !slices.Equal(got, []string{first.Link}) {
					t.Errorf("after the conflict the list is %v, want only %s", got, first.Link)
				}
				if got := listed(t, h, listPath(dir, "ao5", guid)+"&gate="+other); len(got) != 0 {
					t.Errorf("the other gate lists %v", got)
				}
				if n := countRows(t, h, `direction = ?`, dir); n != rows {
					t.Errorf("%d rows after the conflict, want %d", n, rows)
				}
				if n := len(storedFiles(t, h, "packages")); n != blobs {
					t.Errorf("%d stored files after the conflict, want %d", n, blobs)
				}
				wantNoTemporaryFiles(t, h)

				// Without a gate, the delivery takes the known one.
				third := h.Deliver(t, dir, deliverForm(dir, guid, "", "ao5", []byte("third")))
				if got := listed(t, h, listPath(dir, "ao5", guid)+"&gate="+gate); !slices.Equal(got, []string{first.Link, third.Link}) {
					t.Errorf("the gate %s lists %v, want %v", gate, got, []string{first.Link, third.Link})
				}
				if dir == "fns" && !strings.HasPrefix(third.Link, "files/"+gate+"/") {
					t.Errorf("link %q does not carry the known gate %s", third.Link, gate)
				}

				// Another direction knows the guid apart.
				elsewhere := map[string]string{"fns": "pfr", "pfr": "rosstat", "rosstat": "pfr"}[dir]
				g := guid
				if dir == "fns" {
					g = strings.ToLower(guid[3:])
				}
				d := h.Deliver(t, elsewhere, deliverForm(elsewhere, g, other, "ao5", []byte("elsewhere")))
				if got := listed(t, h, listPath(elsewhere, "ao5", g)+"&gate="+other); !slices.Contains(got, d.Link) {
					t.Errorf("%s lists %v for the gate %s, want %s in it", elsewhere, got, other, d.Link)
				}
			})
		}
	})
}

// pfrUpload uploads a package as a PFR subscriber and returns its id.
func pfrUpload(t *testing.T, h *Host, dir, guid, gate string, body []byte) string {
	t.Helper()
	f := Form{Fields: [][2]string{field("type", "ao5"), field("guid", guid), field("gate", gate)}, FileName: "up.zip", File: body}
	resp := h.Post(t, "/"+dir+"/packages", f)
	if resp.Status != http.StatusOK {
		t.Fatalf("upload to %s: status %d: %s", dir, resp.Status, resp.Body)
	}
	var out struct{ ID string }
	resp.JSON(t, &out)
	return out.ID
}

func TestOperatorOutboxPages(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		if page := readOutboxPage(t, h, "pfr", ""); len(page.Items) != 0 || page.Next != "" {
			t.Fatalf("a new host's outbox is %+v, want empty with no next", page)
		}
		guid, gate := uuid.NewString(), uuid.NewString()
		var ids []string
		for i := 0; i < 5; i++ {
			ids = append(ids, pfrUpload(t, h, "pfr", guid, gate, []byte(fmt.Sprint("upload ", i))))
		}
		rosstatID := pfrUpload(t, h, "rosstat", guid, gate, []byte("rosstat"))

		var got []string
		var sizes []int
		query := "limit=2"
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatal("the outbox does not end")
			}
			page := readOutboxPage(t, h, "pfr", query)
			sizes = append(sizes, len(page.Items))
			for _, it := range page.Items {
				got = append(got, it.ID)
			}
			if page.Next == "" {
				break
			}
			query = "limit=2&after=" + url.QueryEscape(page.Next)
		}
		if !slices.Equal(got, ids) || !slices.Equal(sizes, []int{2, 2, 1}) {
			t.Errorf("pages of sizes %v with %v, want [2 2 1] with %v", sizes, got, ids)
		}
		// Exactly a page's worth: the last full page says there is no more.
		page := readOutboxPage(t, h, "pfr", "limit=5")
		if len(page.Items) != 5 || page.Next != "" {
			t.Errorf("limit=5 gives %d items and next %q, want 5 and null", len(page.Items), page.Next)
		}
		page = readOutboxPage(t, h, "pfr", "")
		if len(page.Items) != 5 || page.Next != "" {
			t.Errorf("the default limit gives %d items and next %q, want 5 and null", len(page.Items), page.Next)
		}
		page = readOutboxPage(t, h, "pfr", "limit=1000")
		if len(page.Items) != 5 {
			t.Errorf("limit=1000 gives %d items", len(page.Items))
		}
		if ros := readOutbox(t, h, "rosstat"); len(ros) != 1 || ros[0].ID != rosstatID {
			t.Errorf("rosstat outbox %+v, want only its own upload %s", ros, rosstatID)
		}
		if fns := readOutbox(t, h, "fns"); len(fns) != 0 {
			t.Errorf("fns outbox %+v, want empty", fns)
		}

		cursor := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
		for _, q := range []string{
			"limit=0", "limit=-1", "limit=1001", "limit=abc", "limit=1.5", "limit=%20", "limit=99999999999999999999",
			"after=zzz", "after=!!!", "after=" + cursor("s-5"), "after=" + cursor("sabc"), "after=" + cursor("x1"),
			"after=%zz", "limit=%ff", "after=%00",
		} {
			resp := h.Operator(t, http.MethodGet, "/operator/v1/directions/pfr/outbox?"+q, nil)
			t.Run(q, func(t *testing.T) { wantOpError(t, resp, http.StatusBadRequest, "invalid_request") })
		}
		wantOpError(t, h.Operator(t, http.MethodGet, "/operator/v1/directions/nalog/outbox", nil), http.StatusNotFound, "unknown_direction")
	})
}

func TestOperatorUploadsInTheOutbox(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		// FNS knows the client's address and send date; PFR and Rosstat
		// know neither.
		sub := fnsSubscriber()
		body := randomBytes(t, 4096)
		name := fnsName(sub, "9965", "01_01_01")
		resp := h.Post(t, "/fns/packages", Form{FileName: name, File: body}, "X-Real-IP", "82.113.1.187", "X-Send-Date", "2022-03-12 14:56:17")
		if resp.Status != http.StatusOK {
			t.Fatalf("fns upload: %d %s", resp.Status, resp.Body)
		}
		var up struct{ ID string }
		resp.JSON(t, &up)
		it, ok := outboxItem(t, h, "fns", up.ID)
		if !ok {
			t.Fatalf("the upload %s is not in the fns outbox", up.ID)
		}
		if it.Filename != name || str(it.GUID) != sub || str(it.ClientIP) != "82.113.1.187" ||
			str(it.SentAt) != "2022-03-12 14:56:17" || it.Size != 4096 || it.SHA256 != sha256Hex(body) {
			t.Errorf("outbox item %+v: guid %s ip %s sent %s", it, str(it.GUID), str(it.ClientIP), str(it.SentAt))
		}
		checkRecent(t, "date_in", "2006-01-02 15:04:05", it.DateIn)
	})
}

func TestOperatorContent(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		upBody, inBody, mailBody := randomBytes(t, 1000), randomBytes(t, 2000), randomBytes(t, 3000)
		up := pfrUpload(t, h, "pfr", uuid.NewString(), uuid.NewString(), upBody)
		in := h.Deliver(t, "rosstat", deliverForm("rosstat", uuid.NewString(), uuid.NewString(), "1c", inBody))
		mail := h.Publish(t, "fns", Form{Fields: [][2]string{field("code", "7704")}, FileName: "mail.zip", File: mailBody})
		for _, c := range []struct {
			name, id string
			body     []byte
		}{
			{"upload", up, upBody}, {"upload by an upper-case id", strings.ToUpper(up), upBody},
			{"inbound", in.ID, inBody}, {"mailing", mail.ID, mailBody},
		} {
			t.Run(c.name, func(t *testing.T) {
				resp := h.Operator(t, http.MethodGet, "/operator/v1/packages/"+c.id+"/content", nil)
				if resp.Status != http.StatusOK || !bytes.Equal(resp.Body, c.body) {
					t.Fatalf("status %d, %d bytes; want 200 and the %d bytes", resp.Status, len(resp.Body), len(c.body))
				}
				if etag := resp.Header.Get("ETag"); etag != `"`+sha256Hex(c.body)+`"` {
					t.Errorf("ETag %s, want the sha256", etag)
				}
			})
		}
		t.Run("unknown id", func(t *testing.T) {
			resp := h.Operator(t, http.MethodGet, "/operator/v1/packages/"+uuid.NewString()+"/content", nil)
			wantOpError(t, resp, http.StatusNotFound, "not_found")
		})
	})
}

func TestOperatorAck(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		guid, gate := uuid.NewString(), uuid.NewString()
		a := pfrUpload(t, h, "pfr", guid, gate, []byte("a"))
		b := pfrUpload(t, h, "pfr", guid, gate, []byte("b"))

		ack := func(id string) (Response, obItem) {
			resp := h.Operator(t, http.MethodPost, "/operator/v1/packages/"+id+"/ack", nil)
			var it obItem
			if resp.Status == http.StatusOK {
				resp.JSON(t, &it)
			}
			return resp, it
		}
		resp, first := ack(a)
		if resp.Status != http.StatusOK || first.ID != a || first.AckedAt == nil {
			t.Fatalf("ack: %d %s, want 200 with the item and acked_at", resp.Status, resp.Body)
		}
		checkRecent(t, "acked_at", "2006-01-02 15:04:05", *first.AckedAt)
		time.Sleep(1100 * time.Millisecond)
		resp, again := ack(strings.ToUpper(a))
		if resp.Status != http.StatusOK || str(again.AckedAt) != str(first.AckedAt) {
			t.Errorf("ack again: %d %s, want 200 with the first acked_at %s", resp.Status, resp.Body, str(first.AckedAt))
		}
		var left []string
		for _, it := range readOutbox(t, h, "pfr") {
			left = append(left, it.ID)
		}
		if !slices.Equal(left, []string{b}) {
			t.Errorf("outbox after the ack: %v, want only %s", left, b)
		}
		// The acknowledged upload's bytes are still there for the operator.
		if c := h.Operator(t, http.MethodGet, "/operator/v1/packages/"+a+"/content", nil); c.Status != http.StatusOK || string(c.Body) != "a" {
			t.Errorf("content of the acknowledged upload: %d %q", c.Status, c.Body)
		}

		in := h.Deliver(t, "pfr", deliverForm("pfr", guid, gate, "ao5", []byte("in")))
		mail := h.Publish(t, "rosstat", Form{Fields: [][2]string{field("code", "10-10")}, FileName: "m.zip", File: []byte("m")})
		for name, id := range map[string]string{"inbound": in.ID, "mailing": mail.ID} {
			t.Run("ack of an "+name, func(t *testing.T) {
				resp, _ := ack(id)
				wantOpError(t, resp, http.StatusConflict, "not_an_upload")
			})
		}
		if got := listed(t, h, listPath("pfr", "ao5", guid)); !slices.Equal(got, []string{in.Link}) {
			t.Errorf("the refused ack changed the list: %v", got)
		}
		t.Run("ack of an unknown id", func(t *testing.T) {
			resp, _ := ack(uuid.NewString())
			wantOpError(t, resp, http.StatusNotFound, "not_found")
		})
	})
}

func TestOperatorNeedsTheToken(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		guid, gate := uuid.NewString(), uuid.NewString()
		up := pfrUpload(t, h, "pfr", guid, gate, []byte("up"))
		delivery := deliverForm("pfr", guid, gate, "ao5", []byte("in"))
		routes := []struct {
			method, path string
			form         *Form
		}{
			{http.MethodPost, "/operator/v1/directions/pfr/packages", &delivery},
			{http.MethodPost, "/operator/v1/directions/rosstat/massreports", &Form{Fields: [][2]string{field("code", "10-10")}, FileName: "m.zip", File: []byte("m")}},
			{http.MethodGet, "/operator/v1/directions/pfr/outbox", nil},
			{http.MethodGet, "/operator/v1/packages/" + up + "/content", nil},
			{http.MethodPost, "/operator/v1/packages/" + up + "/ack", nil},
			{http.MethodGet, "/operator/v1/no/such/route", nil},
			{http.MethodGet, "/operator/v1", nil},
		}
		auths := []string{"", "Bearer", "Bearer ", "Bearer wrong", "Bearer " + operatorToken + "x", "Bearer " + operatorToken[:len(operatorToken)-1],
			"Basic " + operatorToken, operatorToken, "Bearer  " + operatorToken, "Token " + operatorToken}
		for _, r := range routes {
			for _, auth := range auths {
				t.Run(r.method+" "+r.path+" "+auth, func(t *testing.T) {
					var req *http.Request
					if r.form != nil {
						body, contentType := r.form.Encode(t)
						req = h.Request(t, r.method, r.path, bytes.NewReader(body))
						req.Header.Set("Content-Type", contentType)
					} else {
						req = h.Request(t, r.method, r.path, nil)
					}
					if auth != "" {
						req.Header.Set("Authorization", auth)
					}
					resp := h.Do(t, req)
					wantOpError(t, resp, http.StatusUnauthorized, "unauthorized")
					if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
						t.Errorf("WWW-Authenticate %q, want a Bearer challenge", resp.Header.Get("WWW-Authenticate"))
					}
				})
			}
		}
		// Nothing got through.
		if got := listed(t, h, listPath("pfr", "ao5", guid)); len(got) != 0 {
			t.Errorf("an unauthorised delivery was stored: %v", got)
		}
		if n := countRows(t, h, `kind = 'mailing'`); n != 0 {
			t.Errorf("%d unauthorised mailings stored", n)
		}
		if it, ok := outboxItem(t, h, "pfr", up); !ok || it.AckedAt != nil {
			t.Errorf("an unauthorised ack acknowledged the upload")
		}
		// The scheme's case does not matter (RFC 7235).
		req := h.Request(t, http.MethodGet, "/operator/v1/directions/pfr/outbox", nil)
		req.Header.Set("Authorization", "bearer "+operatorToken)
		if resp := h.Do(t, req); resp.Status != http.StatusOK {
			t.Errorf("lower-case scheme: %d %s", resp.Status, resp.Body)
		}
	})
}

func TestOperatorAPIIsAbsentWithoutTokens(t *testing.T) {
	forEachBackend(t, hostConfig{noOperator: true}, func(t *testing.T, h *Host) {
		guid, gate := uuid.NewString(), uuid.NewString()
		up := pfrUpload(t, h, "pfr", guid, gate, []byte("up"))
		delivery := deliverForm("pfr", guid, gate, "ao5", []byte("in"))
		routes := []struct {
			method, path string
			form         *Form
		}{
			{http.MethodPost, "/operator/v1/directions/pfr/packages", &delivery},
			{http.MethodPost, "/operator/v1/directions/fns/massreports", &Form{Fields: [][2]string{field("code", "7701")}, FileName: "m.zip", File: []byte("m")}},
			{http.MethodGet, "/operator/v1/directions/pfr/outbox", nil},
			{http.MethodGet, "/operator/v1/directions/pfr/outbox?limit=zz", nil},
			{http.MethodGet, "/operator/v1/packages/" + up + "/content", nil},
			{http.MethodPost, "/operator/v1/packages/" + up + "/ack", nil},
			{http.MethodPost, "/operator/v1/packages/not-an-id/ack", nil},
			{http.MethodGet, "/operator/v1/no/such/route", nil},
			{http.MethodPut, "/operator/v1/directions/pfr/packages", nil},
			{http.MethodGet, "/operator/v1/packages/" + up + "/ack", nil},
			{http.MethodDelete, "/operator/v1/packages/" + up + "/content", nil},
			{http.MethodGet, "/operator/v1", nil},
			{http.MethodGet, "/operator/v1/", nil},
			{http.MethodGet, "/operator/", nil},
			{http.MethodGet, "/operator", nil},
		}
		for _, r := range routes {
			for _, auth := range []string{"", "Bearer " + operatorToken, "Bearer ", "Bearer"} {
				t.Run(r.method+" "+r.path+" "+auth, func(t *testing.T) {
					var req *http.Request
					if r.form != nil {
						body, contentType := r.form.Encode(t)
						req = h.Request(t, r.method, r.path, bytes.NewReader(body))
						req.Header.Set("Content-Type", contentType)
					} else {
						req = h.Request(t, r.method, r.path, nil)
					}
					if auth != "" {
						req.Header.Set("Authorization", auth)
					}
					wantNotFoundDetail(t, h.Do(t, req))
				})
			}
		}
		if n := countRows(t, h, `kind <> 'upload'`); n != 0 {
			t.Errorf("%d packages delivered or published without an operator API", n)
		}
		if n := countRows(t, h, `acked_at IS NOT NULL`); n != 0 {
			t.Errorf("%d uploads acknowledged without an operator API", n)
		}
	})
}

func TestFNSAtTheEmptyPrefix(t *testing.T) {
	forEachBackend(t, hostConfig{prefixes: map[string]string{"fns": ""}}, func(t *testing.T, h *Host) {
		sub := fnsSubscriber()

		// The subscriber routes answer at the root, in the FNS format.
		resp := h.Get(t, "/packages")
		var e fnsError
		resp.JSON(t, &e)
		if resp.Status != http.StatusBadRequest || !slices.Equal(e.Errors, []string{`"type" is required`}) || e.Status != "Bad Request" {
			t.Errorf("GET /packages: %d %s", resp.Status, resp.Body)
		}
		resp = h.Get(t, "/massreport?code=12")
		resp.JSON(t, &e)
		if resp.Status != http.StatusBadRequest || !slices.Equal(e.Errors, []string{`"code" string does not match regex "^\d{4}$"`}) {
			t.Errorf("GET /massreport?code=12: %d %s", resp.Status, resp.Body)
		}
		put := h.Do(t, h.Request(t, http.MethodPut, "/packages", nil))
		put.JSON(t, &e)
		if put.Status != http.StatusMethodNotAllowed || e.Status != "Method Not Allowed" {
			t.Errorf("PUT /packages: %d %s", put.Status, put.Body)
		}

		name := fnsName(sub, "9965", "01_01_01")
		up := h.Post(t, "/packages", Form{FileName: name, File: []byte("report")}, "X-Real-IP", "10.1.2.3")
		var upBody map[string]string
		up.JSON(t, &upBody)
		if up.Status != http.StatusOK || upBody["filename"] != name || upBody["client_ip"] != "10.1.2.3" {
			t.Errorf("POST /packages: %d %s", up.Status, up.Body)
		}
		if it, ok := outboxItem(t, h, "fns", upBody["id"]); !ok || it.Filename != name {
			t.Errorf("the upload at the root is not in the fns outbox")
		}

		d := h.Deliver(t, "fns", deliverForm("fns", sub, "gw-root", "ao5", []byte("inbound")))
		resp = h.Get(t, "/packages?type=ao5&guid="+sub)
		var items []map[string]string
		resp.JSON(t, &items)
		want := []map[string]string{{"guid": sub, "uid": d.UID, "filename": d.Filename, "link": d.Link}}
		if resp.Status != http.StatusOK || fmt.Sprint(items) != fmt.Sprint(want) {
			t.Errorf("GET /packages: %d %s, want %v", resp.Status, resp.Body, want)
		}
		if got := h.Get(t, "/"+d.Link); got.Status != http.StatusOK || string(got.Body) != "inbound" {
			t.Errorf("GET /%s: %d %q", d.Link, got.Status, got.Body)
		}

		mail := h.Publish(t, "fns", Form{Fields: [][2]string{field("code", "7705")}, FileName: "mr.zip", File: []byte("mailing")})
		resp = h.Get(t, "/massreport?code=7705")
		resp.JSON(t, &items)
		if resp.Status != http.StatusOK || len(items) != 1 || items[0]["link"] != mail.Link {
			t.Errorf("GET /massreport: %d %s, want %s", resp.Status, resp.Body, mail.Link)
		}
		if got := h.Get(t, "/"+mail.Link); got.Status != http.StatusOK || string(got.Body) != "mailing" {
			t.Errorf("GET /%s: %d %q", mail.Link, got.Status, got.Body)
		}

		if got := h.Delete(t, "/"+d.Link); got.Status != http.StatusNoContent {
			t.Errorf("DELETE /%s: %d %s", d.Link, got.Status, got.Body)
		}
		if got := listed(t, h, "/packages?type=ao5&guid="+sub); len(got) != 0 {
			t.Errorf("the deleted package is still listed: %v", got)
		}

		// FNS is no longer at /fns; the other directions stay at theirs.
		wantNotFoundDetail(t, h.Get(t, "/fns/packages?type=ao5"))
		if got := h.Get(t, "/pfr/packages?type=ao5"); got.Status != http.StatusOK || string(got.Body) != "[]" {
			t.Errorf("GET /pfr/packages: %d %s", got.Status, got.Body)
		}
		pfr := h.Deliver(t, "pfr", deliverForm("pfr", uuid.NewString(), uuid.NewString(), "ao5", []byte("pfr")))
		if got := h.Get(t, pfr.Link); got.Status != http.StatusOK || string(got.Body) != "pfr" {
			t.Errorf("GET %s: %d %q", pfr.Link, got.Status, got.Body)
		}
	})
}

// TestFNSDeliveryNeedsAGate delivers to an FNS subscriber whose gate is
// not known yet, without naming one: FNS links carry the gate, so the
// delivery is refused as a missing gate, and the next one with a gate
// goes through and teaches the store the gate.
func TestFNSDeliveryNeedsAGate(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		guid := fnsSubscriber()
		name := fnsName("9965", guid, "07_01_01")
		f := Form{Fields: [][2]string{field("type", "1c")}, FileName: name, File: []byte("x")}
		e := wantOpError(t, h.Operator(t, http.MethodPost, "/operator/v1/directions/fns/packages", &f),
			http.StatusBadRequest, "invalid_request")
		if len(e.Error.Details) != 1 || e.Error.Details[0].Param != "gate" || e.Error.Details[0].Kind != "missing" {
			t.Fatalf("details %+v, want the gate missing", e.Error.Details)
		}
		f.Fields = append(f.Fields, field("gate", "gpr"))
		h.Deliver(t, "fns", f)
		f.Fields = f.Fields[:1]
		if d := h.Deliver(t, "fns", f); !strings.HasPrefix(d.Link, "files/gpr/") {
			t.Fatalf("a delivery without a gate after one with it: link %s", d.Link)
		}
	})
}

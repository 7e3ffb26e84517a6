package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// pyErr is one violation in the PFR and Rosstat (pydantic) format.
func pyErr(name, msg, errType string) map[string]any {
	return map[string]any{"loc": []any{name}, "msg": msg, "type": errType}
}

// The messages of the spec's table.
const (
	pyMissing  = "field required"
	pyEnum     = "value is not a valid enumeration member; permitted: '1c', 'iotchet', 'ao4', 'ao5'"
	pyUUID     = "value is not a valid uuid"
	pyDateTime = "invalid datetime format"
)

// pyCase is a request and the violations it must get, in order; nil
// violations means the request is accepted.
type pyCase struct {
	name       string
	path       string
	form       *Form
	violations []map[string]any
}

// runPyCases sends each request and checks the answer: 400 and exactly
// the violations, or 200.
func runPyCases(t *testing.T, h *Host, cases []pyCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var resp Response
			if c.form != nil {
				resp = h.Post(t, c.path, *c.form)
			} else {
				resp = h.Get(t, c.path)
			}
			if c.violations == nil {
				if resp.Status != http.StatusOK {
					t.Fatalf("status %d, want 200: %s", resp.Status, resp.Body)
				}
				return
			}
			wantPyErrors(t, resp, http.StatusBadRequest, c.violations)
		})
	}
}

// wantPyErrors fails unless resp has the status and exactly the
// violations, in the pydantic format.
func wantPyErrors(t *testing.T, resp Response, status int, want []map[string]any) {
	t.Helper()
	if resp.Status != status {
		t.Fatalf("status %d, want %d: %s", resp.Status, status, resp.Body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want JSON", ct)
	}
	var got []map[string]any
	resp.JSON(t, &got)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("body\n got %s\nwant %s", resp.Body, mustJSON(want))
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// subscriberForm is a PFR or Rosstat subscriber's upload.
func subscriberForm(fields [][2]string, name string, body []byte) *Form {
	return &Form{Fields: fields, FileName: name, File: body}
}

func TestPFRErrorsAreAList(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		guid := uuid.NewString()
		file := []byte("report")
		runPyCases(t, h, []pyCase{
			{name: "no type", path: "/pfr/packages", violations: []map[string]any{pyErr("type", pyMissing, "value_error")}},
			{name: "FNS's platform is not a PFR type", path: "/pfr/packages?type=platform",
				violations: []map[string]any{pyErr("type", pyEnum, "type_error")}},
			{name: "every parameter wrong", path: "/pfr/packages?type=ao6&guid=1AE" + guid + "&gate=gate-1",
				violations: []map[string]any{pyErr("type", pyEnum, "type_error"), pyErr("guid", pyUUID, "type_error"), pyErr("gate", pyUUID, "type_error")}},
			{name: "no type and a bad guid", path: "/pfr/packages?guid=" + guid[:35],
				violations: []map[string]any{pyErr("type", pyMissing, "value_error"), pyErr("guid", pyUUID, "type_error")}},
			{name: "upper-case type", path: "/pfr/packages?type=AO5", violations: []map[string]any{pyErr("type", pyEnum, "type_error")}},
			{name: "ao4 without guid is allowed", path: "/pfr/packages?type=ao4"},
			{name: "the Cyrillic 1с", path: "/pfr/packages?type=" + url.QueryEscape("1с")},
			{name: "upload with nothing", path: "/pfr/packages", form: &Form{NoFile: true},
				violations: []map[string]any{pyErr("file", pyMissing, "value_error"), pyErr("type", pyMissing, "value_error"), pyErr("guid", pyMissing, "value_error")}},
			{name: "upload without guid", path: "/pfr/packages", form: subscriberForm([][2]string{field("type", "ao5")}, "a.zip", file),
				violations: []map[string]any{pyErr("guid", pyMissing, "value_error")}},
			{name: "upload with every field wrong", path: "/pfr/packages",
				form:       subscriberForm([][2]string{field("type", "platform"), field("guid", "x"), field("gate", guid+"0")}, "a.zip", file),
				violations: []map[string]any{pyErr("type", pyEnum, "type_error"), pyErr("guid", pyUUID, "type_error"), pyErr("gate", pyUUID, "type_error")}},
			{name: "upload without a file", path: "/pfr/packages", form: &Form{NoFile: true, Fields: [][2]string{field("type", "ao5"), field("guid", guid)}},
				violations: []map[string]any{pyErr("file", pyMissing, "value_error")}},
			{name: "upload with the file under another name", path: "/pfr/packages",
				form:       &Form{FileField: "document", FileName: "a.zip", File: file, Fields: [][2]string{field("type", "ao5"), field("guid", guid)}},
				violations: []map[string]any{pyErr("file", pyMissing, "value_error")}},
		})
		if out := readOutbox(t, h, "pfr"); len(out) != 0 {
			t.Errorf("refused uploads reached the outbox: %+v", out)
		}
		wantNoTemporaryFiles(t, h)
	})
}

func TestPFRUploadReachesTheOutbox(t *testing.T) {
	testUploadReachesTheOutbox(t, "pfr")
}

func TestPFRListFiltersAndOrder(t *testing.T) {
	testListFiltersAndOrder(t, "pfr")
}

// testUploadReachesTheOutbox uploads as a PFR or Rosstat subscriber, in
// the usual spellings of a UUID, and finds each upload in the outbox as
// sent, normalised.
func testUploadReachesTheOutbox(t *testing.T, dir string) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		guid, gate := uuid.NewString(), uuid.NewString()
		cases := []struct {
			name, productType, guid, gate, wantType string
			noGate                                  bool
		}{
			{name: "lower-case", productType: "ao5", guid: guid, gate: gate, wantType: "ao5"},
			{name: "upper-case", productType: "ao4", guid: strings.ToUpper(guid), gate: strings.ToUpper(gate), wantType: "ao4"},
			{name: "braces", productType: "iotchet", guid: "{" + guid + "}", gate: "{" + gate + "}", wantType: "iotchet"},
			{name: "no dashes, Cyrillic 1с", productType: "1с", guid: strings.ReplaceAll(guid, "-", ""), gate: gate, wantType: "1c"},
			{name: "no gate", productType: "1c", guid: guid, noGate: true, wantType: "1c"},
		}
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				body := randomBytes(t, 1000+i)
				fields := [][2]string{field("type", c.productType), field("guid", c.guid)}
				if !c.noGate {
					fields = append(fields, field("gate", c.gate))
				}
				name := "upload-" + c.wantType + ".zip"
				resp := h.Post(t, "/"+dir+"/packages", Form{Fields: fields, FileName: name, File: body})
				if resp.Status != http.StatusOK {
					t.Fatalf("status %d, want 200: %s", resp.Status, resp.Body)
				}
				if keys := jsonKeys(t, resp.Body); !slices.Equal(keys, []string{"id", "filename", "date_in"}) {
					t.Errorf("keys %v, want id, filename, date_in", keys)
				}
				var up struct {
					ID       string `json:"id"`
					Filename string `json:"filename"`
					DateIn   string `json:"date_in"`
				}
				resp.JSON(t, &up)
				if !dashedUUID.MatchString(up.ID) || up.Filename != name {
					t.Errorf("answer %s: want a UUID id and the filename %q", resp.Body, name)
				}
				checkRecent(t, "date_in", "2006-01-02 15:04:05", up.DateIn)

				it, ok := outboxItem(t, h, dir, up.ID)
				if !ok {
					t.Fatalf("upload %s is not in the %s outbox", up.ID, dir)
				}
				wantGate := gate
				if c.noGate {
					wantGate = "<null>"
				}
				if str(it.Type) != c.wantType || str(it.GUID) != guid || str(it.Gate) != wantGate {
					t.Errorf("outbox type %s guid %s gate %s, want %s %s %s", str(it.Type), str(it.GUID), str(it.Gate), c.wantType, guid, wantGate)
				}
				if it.ClientIP != nil || it.SentAt != nil {
					t.Errorf("outbox client_ip %s sent_at %s, want both null", str(it.ClientIP), str(it.SentAt))
				}
				if it.Filename != name || it.Size != int64(len(body)) || it.SHA256 != sha256Hex(body) || it.DateIn != up.DateIn {
					t.Errorf("outbox item %+v, want %s of %d bytes, sha256 %s, date_in %s", it, name, len(body), sha256Hex(body), up.DateIn)
				}
				content := h.Operator(t, http.MethodGet, "/operator/v1/packages/"+up.ID+"/content", nil)
				if content.Status != http.StatusOK || string(content.Body) != string(body) {
					t.Errorf("content: status %d, %d bytes, want the uploaded bytes", content.Status, len(content.Body))
				}
			})
		}
		// An upload is not an inbound package: the subscriber does not
		// see it in its own list.
		if got := listed(t, h, listPath(dir, "ao5", guid)); len(got) != 0 {
			t.Errorf("the subscriber's list shows its uploads: %v", got)
		}
	})
}

// testListFiltersAndOrder delivers to two subscribers of a PFR or
// Rosstat direction and checks what each filter lists, and the items.
func testListFiltersAndOrder(t *testing.T, dir string) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		a, b := uuid.NewString(), uuid.NewString()
		gateA, gateB := uuid.NewString(), uuid.NewString()
		attr, keys := "regnum", []string{"uid", "guid", "regnum", "filename", "processed_at", "link"}
		values := []string{"001-002-000001", "001-002-000002", "001-002-000003", "001-002-000004"}
		if dir == "rosstat" {
			attr, keys = "okpo", []string{"uid", "guid", "окпо", "filename", "link"}
			values = []string{"12345678", "1234567890", "12345678901234", "87654321"}
		}
		deliver := func(i int, guid, gate, productType string) Delivered {
			f := Form{Fields: [][2]string{field("guid", guid), field("type", productType), field(attr, values[i])},
				FileName: "inbound_" + string(rune('a'+i)) + ".zip", File: []byte(values[i])}
			if gate != "" {
				f.Fields = append(f.Fields, field("gate", gate))
			}
			return h.Deliver(t, dir, f)
		}
		a1 := deliver(0, a, gateA, "ao5")
		b1 := deliver(1, strings.ToUpper(b), "{"+gateB+"}", "ao5")
		a2 := deliver(2, a, "", "ao5")
		a3 := deliver(3, "{"+a+"}", gateA, "1c")

		q := func(s string) string { return url.QueryEscape(s) }
		cases := []struct {
			query string
			want  []Delivered
		}{
			{"type=ao5", []Delivered{a1, b1, a2}},
			{"type=ao5&guid=" + a, []Delivered{a1, a2}},
			{"type=ao5&guid=" + strings.ToUpper(a), []Delivered{a1, a2}},
			{"type=ao5&guid=" + q("{"+a+"}"), []Delivered{a1, a2}},
			{"type=ao5&guid=" + q("{"+strings.ToUpper(a)+"}"), []Delivered{a1, a2}},
			{"type=ao5&guid=" + strings.ReplaceAll(a, "-", ""), []Delivered{a1, a2}},
			{"type=ao5&guid=" + q("urn:uuid:"+a), []Delivered{a1, a2}},
			{"type=ao5&guid=" + b, []Delivered{b1}},
			{"type=ao5&gate=" + gateB, []Delivered{b1}},
			{"type=ao5&gate=" + strings.ToUpper(gateA), []Delivered{a1, a2}},
			{"type=ao5&guid=" + a + "&gate=" + gateB, nil},
			{"type=ao5&guid=" + uuid.NewString(), nil},
			{"type=1c&guid=" + a, []Delivered{a3}},
			{"type=" + q("1с") + "&guid=" + a, []Delivered{a3}},
			{"type=1c&guid=" + b, nil},
			{"type=iotchet", nil},
			{"type=ao4&guid=" + a, nil},
		}
		for _, c := range cases {
			t.Run(c.query, func(t *testing.T) {
				resp := h.Get(t, "/"+dir+"/packages?"+c.query)
				if resp.Status != http.StatusOK {
					t.Fatalf("status %d, want 200: %s", resp.Status, resp.Body)
				}
				var items []json.RawMessage
				resp.JSON(t, &items)
				var got, want []string
				for _, raw := range items {
					var it map[string]any
					json.Unmarshal(raw, &it)
					got = append(got, it["link"].(string))
				}
				for _, d := range c.want {
					want = append(want, d.Link)
				}
				if !slices.Equal(got, want) {
					t.Errorf("links %v, want %v", got, want)
				}
			})
		}

		// Each item, in full.
		resp := h.Get(t, "/"+dir+"/packages?type=ao5")
		var items []json.RawMessage
		resp.JSON(t, &items)
		if len(items) != 3 {
			t.Fatalf("want 3 items: %s", resp.Body)
		}
		for i, d := range []Delivered{a1, b1, a2} {
			if got := jsonKeys(t, items[i]); !slices.Equal(got, keys) {
				t.Errorf("item keys %v, want %v", got, keys)
			}
			var it map[string]string
			if err := json.Unmarshal(items[i], &it); err != nil {
				t.Fatalf("item %s: %v", items[i], err)
			}
			guid := []string{a, b, a}[i]
			value := values[[]int{0, 1, 2}[i]]
			prefix := "/" + value + "/"
			if it["uid"] != d.UID || !dashedUUID.MatchString(it["uid"]) || it["guid"] != guid ||
				it["filename"] != d.Filename || it["link"] != d.Link || d.Link != prefix+d.UID+"/"+d.Filename {
				t.Errorf("item %s, want uid %s guid %s filename %s link %s%s/%s", items[i], d.UID, guid, d.Filename, prefix, d.UID, d.Filename)
			}
			if dir == "pfr" {
				if it["regnum"] != value {
					t.Errorf("regnum %q, want %q", it["regnum"], value)
				}
				checkRecent(t, "processed_at", "2006-01-02 15:04:05.000000", it["processed_at"])
				if len(it["processed_at"]) != len("2006-01-02 15:04:05.000000") {
					t.Errorf("processed_at %q is not to the microsecond", it["processed_at"])
				}
			} else if it["окпо"] != value {
				t.Errorf("окпо %q, want %q", it["окпо"], value)
			}
			if got := h.Get(t, d.Link); got.Status != http.StatusOK || string(got.Body) != value {
				t.Errorf("GET %s: %d %q", d.Link, got.Status, got.Body)
			}
		}

		// A deleted package leaves the list; the others keep their order.
		if del := h.Delete(t, a1.Link); del.Status != http.StatusNoContent {
			t.Fatalf("DELETE %s: %d %s", a1.Link, del.Status, del.Body)
		}
		if got := listed(t, h, "/"+dir+"/packages?type=ao5"); !slices.Equal(got, []string{b1.Link, a2.Link}) {
			t.Errorf("after the delete: %v, want %v", got, []string{b1.Link, a2.Link})
		}
	})
}

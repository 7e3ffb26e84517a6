package enforce_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/reportgate/reportgate/sdk"
	"github.com/reportgate/reportgate/sdk/enforce"
)

func responseOf(t testing.TB, m sdk.Manifest, kind sdk.OperationKind) *enforce.Response {
	t.Helper()
	op := mustCompile(t, m).Operation(kind)
	if op == nil || op.Response == nil {
		t.Fatalf("%s has no response", kind)
	}
	return op.Response
}

// fields is a package as a Record: its fields by name, nil when unset.
type fields map[string]any

func (r fields) Value(field string) any { return r[field] }

// listed is an inbound package as the store hands it over.
func listed() fields {
	return fields{
		sdk.FieldID:       "7f281c1a-6113-49c8-a86e-51fab9102687",
		sdk.FieldUID:      "a6e00570-3b1f-4a8d-81b2-f14e7b9508a1",
		sdk.FieldType:     "1c",
		sdk.FieldGUID:     "6f9619ff-8b86-d011-b42d-00cf4fc964ff",
		sdk.FieldFilename: "Ответ \"ПФР\".zip",
		sdk.FieldLink:     "/099-099-999999/a6e00570-3b1f-4a8d-81b2-f14e7b9508a1/Ответ \"ПФР\".zip",
		sdk.FieldSize:     int64(1234567),
		sdk.FieldDateIn:   time.Date(2022, 3, 12, 11, 56, 17, 123456000, time.UTC),
		"okpo":            "12345678",
	}
}

func TestAppendItemObjects(t *testing.T) {
	r := responseOf(t, pydanticManifest(), sdk.OpList)
	if r.Shape() != sdk.ShapeObjects {
		t.Fatalf("Shape() = %q", r.Shape())
	}
	p := listed()
	// The keys in declared order; guid set, regnum and sent_at unset; the
	// time in the host's zone, to the microsecond.
	want := `{"uid": "a6e00570-3b1f-4a8d-81b2-f14e7b9508a1", "guid": "6f9619ff-8b86-d011-b42d-00cf4fc964ff", ` +
		`"окпо": "12345678", "regnum": null, "filename": "Ответ \"ПФР\".zip", ` +
		`"processed_at": "2022-03-12 14:56:17.123456", "sent_at": null, "size": 1234567, ` +
		`"link": "/099-099-999999/a6e00570-3b1f-4a8d-81b2-f14e7b9508a1/Ответ \"ПФР\".zip"}`
	got := string(r.AppendItem(nil, p, msk))
	if got != want {
		t.Errorf("AppendItem\n got %s\nwant %s", got, want)
	}
	var decoded map[string]any
	if err := json.Unmarshal([]byte(got), &decoded); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if decoded["окпо"] != "12345678" || decoded["regnum"] != nil || decoded["size"] != float64(1234567) {
		t.Errorf("decoded %v", decoded)
	}

	// Times set to the whole second still show six digits; sent_at shows
	// seconds; both in the zone passed, not the machine's.
	p[sdk.FieldDateIn] = time.Date(2022, 12, 31, 21, 0, 0, 0, time.UTC)
	p[sdk.FieldSentAt] = time.Date(2022, 12, 31, 20, 59, 59, 999999000, time.UTC)
	delete(p, "okpo")
	p[sdk.FieldGUID] = ""
	got = string(r.AppendItem(nil, p, msk))
	want = `{"uid": "a6e00570-3b1f-4a8d-81b2-f14e7b9508a1", "guid": null, "окпо": null, "regnum": null, ` +
		`"filename": "Ответ \"ПФР\".zip", "processed_at": "2023-01-01 00:00:00.000000", "sent_at": "2022-12-31 23:59:59", ` +
		`"size": 1234567, "link": "/099-099-999999/a6e00570-3b1f-4a8d-81b2-f14e7b9508a1/Ответ \"ПФР\".zip"}`
	if got != want {
		t.Errorf("AppendItem\n got %s\nwant %s", got, want)
	}
	got = string(r.AppendItem(nil, p, time.UTC))
	if want := `"processed_at": "2022-12-31 21:00:00.000000", "sent_at": "2022-12-31 20:59:59"`; !strings.Contains(got, want) {
		t.Errorf("in UTC: %s, want it to contain %s", got, want)
	}
}

func TestAppendItemObject(t *testing.T) {
	r := responseOf(t, envelopeManifest(), sdk.OpUpload)
	p := listed()
	p[sdk.FieldClientIP] = "82.113.1.187"
	p[sdk.FieldFilename] = "<a&b>.zip"
	got := string(r.AppendItem([]byte("prefix:"), p, msk))
	want := `prefix:{"id": "7f281c1a-6113-49c8-a86e-51fab9102687", "filename": "<a&b>.zip", ` +
		`"client_ip": "82.113.1.187", "date_in": "2022-03-12 14:56:17"}`
	if got != want {
		t.Errorf("AppendItem\n got %s\nwant %s", got, want)
	}
}

func TestAppendItemValues(t *testing.T) {
	r := responseOf(t, pydanticManifest(), sdk.OpMassreport)
	if r.Shape() != sdk.ShapeValues {
		t.Fatalf("Shape() = %q", r.Shape())
	}
	p := listed()
	p[sdk.FieldLink] = "/99-99/a6e00570-3b1f-4a8d-81b2-f14e7b9508a1/massreport1_3_1.zip"
	if got, want := string(r.AppendItem(nil, p, msk)), `"/99-99/a6e00570-3b1f-4a8d-81b2-f14e7b9508a1/massreport1_3_1.zip"`; got != want {
		t.Errorf("AppendItem = %s, want %s", got, want)
	}
	delete(p, sdk.FieldLink)
	if got := string(r.AppendItem(nil, p, msk)); got != "null" {
		t.Errorf("AppendItem of an unset field = %s, want null", got)
	}
}

// TestEachFieldRenders shows every field alone, as a values response
// does, and reads back what it wrote.
func TestEachFieldRenders(t *testing.T) {
	p := listed()
	p[sdk.FieldCode] = "99-99"
	p[sdk.FieldGate] = "g"
	p[sdk.FieldSHA256] = "ab"
	p[sdk.FieldClientIP] = "::1"
	for field, want := range map[string]any{
		sdk.FieldID: p[sdk.FieldID], sdk.FieldUID: p[sdk.FieldUID], sdk.FieldType: "1c", sdk.FieldGUID: p[sdk.FieldGUID],
		sdk.FieldGate: "g", sdk.FieldCode: "99-99", sdk.FieldFilename: p[sdk.FieldFilename], sdk.FieldLink: p[sdk.FieldLink],
		sdk.FieldClientIP: "::1", sdk.FieldSHA256: "ab", sdk.FieldSize: float64(1234567),
		sdk.FieldDateIn: "2022-03-12 14:56:17", sdk.FieldSentAt: nil, "okpo": "12345678", "regnum": nil,
	} {
		m := pydanticManifest()
		for i := range m.Operations {
			if m.Operations[i].Kind == sdk.OpMassreport {
				m.Operations[i].Response.Fields = []sdk.ResponseField{{Value: field}}
			}
		}
		raw := responseOf(t, m, sdk.OpMassreport).AppendItem(nil, p, msk)
		var got any
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("%s renders %s: %v", field, raw, err)
		}
		if got != want {
			t.Errorf("%s renders %s, want %#v", field, raw, want)
		}
	}
}

package direction_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/reportgate/reportgate/core/direction"
	"github.com/reportgate/reportgate/core/store"
	"github.com/reportgate/reportgate/sdk"
)

func responseOf(t *testing.T, m sdk.Manifest, kind sdk.OperationKind) *direction.Response {
	t.Helper()
	op := mustCompile(t, m).Operation(kind)
	if op == nil || op.Response == nil {
		t.Fatalf("%s has no response", kind)
	}
	return op.Response
}

// listed is an inbound package as the store returns it.
func listed() *store.Package {
	return &store.Package{
		ID:       "7f281c1a-6113-49c8-a86e-51fab9102687",
		UID:      "a6e00570-3b1f-4a8d-81b2-f14e7b9508a1",
		Type:     "1c",
		GUID:     "6f9619ff-8b86-d011-b42d-00cf4fc964ff",
		Filename: "Ответ \"ПФР\".zip",
		Link:     "/099-099-999999/a6e00570-3b1f-4a8d-81b2-f14e7b9508a1/Ответ \"ПФР\".zip",
		Size:     1234567,
		DateIn:   store.Time{Time: time.Date(2022, 3, 12, 11, 56, 17, 123456000, time.UTC)},
		Attrs:    store.Attrs{"okpo": "12345678"},
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
	p.DateIn = store.Time{Time: time.Date(2022, 12, 31, 21, 0, 0, 0, time.UTC)}
	p.SentAt = store.NullTime{Time: store.Time{Time: time.Date(2022, 12, 31, 20, 59, 59, 999999000, time.UTC)}, Valid: true}
	p.Attrs = nil
	p.GUID = ""
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
	p.ClientIP = "82.113.1.187"
	p.Filename = "<a&b>.zip"
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
	p.Link = "/99-99/a6e00570-3b1f-4a8d-81b2-f14e7b9508a1/massreport1_3_1.zip"
	if got, want := string(r.AppendItem(nil, p, msk)), `"/99-99/a6e00570-3b1f-4a8d-81b2-f14e7b9508a1/massreport1_3_1.zip"`; got != want {
		t.Errorf("AppendItem = %s, want %s", got, want)
	}
	p.Link = ""
	if got := string(r.AppendItem(nil, p, msk)); got != "null" {
		t.Errorf("AppendItem of an unset field = %s, want null", got)
	}
}

func TestFieldValue(t *testing.T) {
	p := listed()
	p.Code = "99-99"
	p.Gate = "g"
	p.SHA256 = "ab"
	p.ClientIP = "::1"
	for field, want := range map[string]any{
		sdk.FieldID: p.ID, sdk.FieldUID: p.UID, sdk.FieldType: "1c", sdk.FieldGUID: string(p.GUID),
		sdk.FieldGate: "g", sdk.FieldCode: "99-99", sdk.FieldFilename: p.Filename, sdk.FieldLink: string(p.Link),
		sdk.FieldClientIP: "::1", sdk.FieldSHA256: "ab", sdk.FieldSize: int64(1234567),
		sdk.FieldDateIn: "2022-03-12 14:56:17", sdk.FieldSentAt: nil, "okpo": "12345678", "regnum": nil,
	} {
		if got := direction.FieldValue(p, field, "", msk); got != want {
			t.Errorf("FieldValue(%s) = %#v, want %#v", field, got, want)
		}
	}
}

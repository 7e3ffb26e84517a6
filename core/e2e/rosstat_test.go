package e2e

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/uuid"
)

func TestRosstatErrorsAreAList(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		guid := uuid.NewString()
		regex := `string does not match regex "^\d{2}-\d{2}$"`
		runPyCases(t, h, []pyCase{
			{name: "no type", path: "/rosstat/packages", violations: []map[string]any{pyErr("type", pyMissing, "value_error")}},
			{name: "ao4 without guid, the document's example", path: "/rosstat/packages?type=ao4",
				violations: []map[string]any{pyErr("guid", pyMissing, "value_error")}},
			{name: "ao4 with a bad guid", path: "/rosstat/packages?type=ao4&guid=1AE" + guid,
				violations: []map[string]any{pyErr("guid", pyUUID, "type_error")}},
			{name: "ao4 with a bad gate and no guid", path: "/rosstat/packages?type=ao4&gate=x",
				violations: []map[string]any{pyErr("gate", pyUUID, "type_error"), pyErr("guid", pyMissing, "value_error")}},
			{name: "every parameter wrong", path: "/rosstat/packages?type=platform&guid=" + guid + "x&gate=" + guid[1:],
				violations: []map[string]any{pyErr("type", pyEnum, "type_error"), pyErr("guid", pyUUID, "type_error"), pyErr("gate", pyUUID, "type_error")}},
			{name: "ao4 with guid", path: "/rosstat/packages?type=ao4&guid=" + guid},
			{name: "ao5 without guid", path: "/rosstat/packages?type=ao5"},
			{name: "the Cyrillic 1с", path: "/rosstat/packages?type=" + url.QueryEscape("1с")},
			{name: "massreport without code", path: "/rosstat/massreport",
				violations: []map[string]any{pyErr("code", pyMissing, "value_error")}},
			{name: "massreport with a 4-digit code", path: "/rosstat/massreport?code=9999",
				violations: []map[string]any{pyErr("code", regex, "value_error")}},
			{name: "massreport with a long code", path: "/rosstat/massreport?code=99-999",
				violations: []map[string]any{pyErr("code", regex, "value_error")}},
			{name: "massreport with bad dates", path: "/rosstat/massreport?code=99-99&date_start=2022-01-01T10:00:00Z&date_end=yesterday",
				violations: []map[string]any{pyErr("date_start", pyDateTime, "value_error"), pyErr("date_end", pyDateTime, "value_error")}},
			{name: "massreport with an impossible date", path: "/rosstat/massreport?code=99-99&date_start=2022-02-30",
				violations: []map[string]any{pyErr("date_start", pyDateTime, "value_error")}},
			{name: "massreport with an impossible time", path: "/rosstat/massreport?code=99-99&date_end=" + url.QueryEscape("2022-02-01 25:00:00"),
				violations: []map[string]any{pyErr("date_end", pyDateTime, "value_error")}},
			{name: "massreport with everything wrong", path: "/rosstat/massreport?code=1&date_start=1&date_end=2",
				violations: []map[string]any{pyErr("code", regex, "value_error"), pyErr("date_start", pyDateTime, "value_error"), pyErr("date_end", pyDateTime, "value_error")}},
			{name: "massreport with dates and a datetime", path: "/rosstat/massreport?code=99-99&date_start=2022-01-01&date_end=" + url.QueryEscape("2022-01-31 23:59:59")},
			{name: "upload with nothing", path: "/rosstat/packages", form: &Form{NoFile: true},
				violations: []map[string]any{pyErr("file", pyMissing, "value_error"), pyErr("type", pyMissing, "value_error"), pyErr("guid", pyMissing, "value_error")}},
			{name: "upload of ao4 without guid", path: "/rosstat/packages", form: subscriberForm([][2]string{field("type", "ao4")}, "a.zip", []byte("a")),
				violations: []map[string]any{pyErr("guid", pyMissing, "value_error")}},
			{name: "upload with every field wrong", path: "/rosstat/packages",
				form:       subscriberForm([][2]string{field("type", "ao"), field("guid", "{"+guid), field("gate", "-")}, "a.zip", []byte("a")),
				violations: []map[string]any{pyErr("type", pyEnum, "type_error"), pyErr("guid", pyUUID, "type_error"), pyErr("gate", pyUUID, "type_error")}},
		})
		if out := readOutbox(t, h, "rosstat"); len(out) != 0 {
			t.Errorf("refused uploads reached the outbox: %+v", out)
		}
		wantNoTemporaryFiles(t, h)
	})
}

func TestRosstatUploadReachesTheOutbox(t *testing.T) {
	testUploadReachesTheOutbox(t, "rosstat")
}

func TestRosstatListFiltersAndOrder(t *testing.T) {
	testListFiltersAndOrder(t, "rosstat")
}

// The department's mailings are listed as bare links, and a massreport
// names no subscriber, so a Rosstat subscriber's list never shows them.
func TestRosstatMailingsAreNotInbound(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		mail := h.Publish(t, "rosstat", Form{Fields: [][2]string{field("code", "77-01")}, FileName: "massreport1_3_1.zip", File: []byte("m")})
		resp := h.Get(t, "/rosstat/massreport?code=77-01")
		if resp.Status != http.StatusOK || string(resp.Body) != `["`+mail.Link+`"]` {
			t.Errorf("massreport: %d %s, want [%q]", resp.Status, resp.Body, mail.Link)
		}
		for _, productType := range []string{"1c", "iotchet", "ao5"} {
			if got := listed(t, h, "/rosstat/packages?type="+productType); len(got) != 0 {
				t.Errorf("type %s lists the mailing: %v", productType, got)
			}
		}
	})
}

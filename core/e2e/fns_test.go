package e2e

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// fnsSubscriber is a fresh FNS subscriber id: a 3-character operator
// prefix and an upper-case GUID.
func fnsSubscriber() string {
	return "1AE" + strings.ToUpper(uuid.NewString())
}

// fnsName is a transport container name from sender to recipient.
func fnsName(sender, recipient, codes string) string {
	return "FNS_" + sender + "_" + recipient + "_" + strings.ReplaceAll(uuid.NewString(), "-", "") + "_" + codes + ".zip"
}

type fnsError struct {
	Errors []string `json:"errors"`
	Status string   `json:"status"`
}

func TestFNSErrorsAreTheEnvelope(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		cases := []struct {
			name, path string
			want       fnsError
		}{
			{"unknown type", "/fns/packages?type=ao4.5", fnsError{
				Errors: []string{`"type" type must be one of this list: ['1c', 'iotchet', 'platform', 'ao4', 'ao5']`},
				Status: "Bad Request"}},
			{"no type", "/fns/packages", fnsError{
				Errors: []string{`"type" is required`}, Status: "Bad Request"}},
			{"ao4 without guid", "/fns/packages?type=ao4", fnsError{
				Errors: []string{`"guid" is required when "type" is "ao4"`}, Status: "Bad Request"}},
			{"several violations, the document's example", "/fns/massreport?date_start=2022-01-01%2012:56:23GMT&code=123456", fnsError{
				Errors: []string{`"code" string does not match regex "^\d{4}$"`, `"date_start" must match pattern "%Y-%m-%d %H:%M:%S"`},
				Status: "Bad Request"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				resp := h.Get(t, c.path)
				if resp.Status != http.StatusBadRequest {
					t.Fatalf("status %d, want 400: %s", resp.Status, resp.Body)
				}
				var got fnsError
				resp.JSON(t, &got)
				if !reflect.DeepEqual(got, c.want) {
					t.Fatalf("body\n got %#v\nwant %#v", got, c.want)
				}
			})
		}
	})
}

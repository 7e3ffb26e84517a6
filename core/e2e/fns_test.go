package e2e

import (
	"context"
	"io/fs"
	"net/http"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

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

// fnsContainerMessage is the FNS plugin's message for an upload whose
// name is not a container between a subscriber and a tax office.
const fnsContainerMessage = `"file" name must be FNS_<subscriber id>_<tax office code>_<document uid, 32 hex digits>_<NN>_<NN>_<NN>.zip, or with the subscriber id and tax office code swapped`

// fnsGUIDPattern is the pattern the FNS list names for a bad guid.
const fnsGUIDPattern = `^[0-9A-Za-z]{3}[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`

// mskZone is the time zone every test host renders times in.
func mskZone(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

var fnsDateTimeShape = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$`)

// fnsCheckDateIn checks that a rendered date_in is a Moscow time to the
// second, within [before, after].
func fnsCheckDateIn(t *testing.T, got string, before, after time.Time) {
	t.Helper()
	if !fnsDateTimeShape.MatchString(got) {
		t.Fatalf("date_in %q is not YYYY-MM-DD HH:MM:SS", got)
	}
	at, err := time.ParseInLocation("2006-01-02 15:04:05", got, mskZone(t))
	if err != nil {
		t.Fatal(err)
	}
	if at.Before(before.Truncate(time.Second)) || at.After(after) {
		t.Fatalf("date_in %s (Moscow) is not the time of receipt, between %s and %s",
			got, before.In(mskZone(t)).Format(time.DateTime), after.In(mskZone(t)).Format(time.DateTime))
	}
}

// wantFNSError checks a 400 in the FNS envelope with exactly the messages.
func wantFNSError(t *testing.T, resp Response, messages ...string) {
	t.Helper()
	if resp.Status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400: %s", resp.Status, resp.Body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var got fnsError
	resp.JSON(t, &got)
	want := fnsError{Errors: messages, Status: "Bad Request"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("body\n got %#v\nwant %#v", got, want)
	}
}

// fnsKeys lists a JSON object's keys, sorted.
func fnsKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// fnsOutbox is the FNS outbox by package id.
func fnsOutbox(t *testing.T, h *Host) map[string]obItem {
	t.Helper()
	out := map[string]obItem{}
	for _, it := range readOutbox(t, h, "fns") {
		out[it.ID] = it
	}
	return out
}

// fnsUploaded is the answer to an FNS upload.
type fnsUploaded struct {
	ID       string `json:"id"`
	Filename string `json:"filename"`
	ClientIP string `json:"client_ip"`
	DateIn   string `json:"date_in"`
}

// fnsUpload posts a package to /fns/packages with header pairs.
func fnsUpload(t *testing.T, h *Host, name string, body []byte, header ...string) Response {
	t.Helper()
	return h.Post(t, "/fns/packages", Form{FileName: name, File: body}, header...)
}

// fnsStoredFiles counts the regular files under the host's package storage.
func fnsStoredFiles(t *testing.T, h *Host) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(filepath.Join(h.Dir, "packages"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			names = append(names, d.Name())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// fnsEventually retries check until it holds or the time is up.
func fnsEventually(t *testing.T, within time.Duration, check func() bool) bool {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if check() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
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

// TestFNSQueryErrorMessages checks every message template of the FNS
// envelope on the list and the massreport, alone and several at once, in
// the order the parameters are declared.
func TestFNSQueryErrorMessages(t *testing.T) {
	enum := `"type" type must be one of this list: ['1c', 'iotchet', 'platform', 'ao4', 'ao5']`
	guidRegex := `"guid" string does not match regex "` + fnsGUIDPattern + `"`
	codeRegex := `"code" string does not match regex "^\d{4}$"`
	datetime := func(name string) string { return `"` + name + `" must match pattern "%Y-%m-%d %H:%M:%S"` }
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		cases := []struct {
			name, path string
			want       []string
		}{
			{"enum, upper-case spelling", "/fns/packages?type=1C", []string{enum}},
			{"enum, the Cyrillic letter alone", "/fns/packages?type=%D1%81", []string{enum}},
			{"empty values count as absent", "/fns/packages?type=&guid=", []string{`"type" is required`}},
			{"regex on guid", "/fns/packages?type=1c&guid=1AE-not-a-guid", []string{guidRegex}},
			{"guid without its operator prefix", "/fns/packages?type=1c&guid=" + uuid.NewString(), []string{guidRegex}},
			{"enum and regex at once", "/fns/packages?type=xml&guid=nope", []string{enum, guidRegex}},
			{"missing and regex at once", "/fns/packages?guid=nope", []string{`"type" is required`, guidRegex}},
			{"ao4 with a bad guid names the regex, not the condition", "/fns/packages?type=ao4&guid=nope", []string{guidRegex}},
			{"ao4 with only a gate", "/fns/packages?type=ao4&gate=gpr", []string{`"guid" is required when "type" is "ao4"`}},
			{"datetime on date_end, ISO T", "/fns/massreport?date_end=2022-01-01T00:00:00", []string{datetime("date_end")}},
			{"datetime on date_start, no such day", "/fns/massreport?date_start=2022-02-30", []string{datetime("date_start")}},
			{"datetime, minutes only", "/fns/massreport?date_start=2022-02-01%2010:00", []string{datetime("date_start")}},
			{"regex on code, letters", "/fns/massreport?code=12a4", []string{codeRegex}},
			{"regex on code, three digits", "/fns/massreport?code=123", []string{codeRegex}},
			{"three violations at once", "/fns/massreport?date_end=tomorrow&date_start=yesterday&code=1", []string{codeRegex, datetime("date_start"), datetime("date_end")}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				wantFNSError(t, h.Get(t, c.path), c.want...)
			})
		}
		t.Run("ao4 with a guid is accepted", func(t *testing.T) {
			resp := h.Get(t, "/fns/packages?type=ao4&guid="+fnsSubscriber())
			if resp.Status != http.StatusOK || string(resp.Body) != "[]" {
				t.Fatalf("status %d, body %s; want 200 []", resp.Status, resp.Body)
			}
		})
	})
}

// TestFNSCyrillicTypeIsTheLatinOne: the document spells the type "1с"
// with a Cyrillic es; such a list is the list of "1c".
func TestFNSCyrillicTypeIsTheLatinOne(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		guid := fnsSubscriber()
		d := h.Deliver(t, "fns", Form{
			Fields:   [][2]string{field("guid", guid), field("type", "1c"), field("gate", "gpr")},
			FileName: "receipt.zip", File: []byte("receipt"),
		})
		h.Deliver(t, "fns", Form{
			Fields:   [][2]string{field("guid", guid), field("type", "iotchet"), field("gate", "gpr")},
			FileName: "other.zip", File: []byte("other"),
		})
		want := []map[string]string{{"guid": guid, "uid": d.UID, "filename": "receipt.zip", "link": d.Link}}
		for _, q := range []string{"type=1c", "type=1%D1%81", "type=1%D1%81&guid=" + guid} {
			resp := h.Get(t, "/fns/packages?"+q)
			if resp.Status != http.StatusOK {
				t.Fatalf("%s: status %d: %s", q, resp.Status, resp.Body)
			}
			var got []map[string]string
			resp.JSON(t, &got)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s:\n got %v\nwant %v", q, got, want)
			}
		}
	})
}

// TestFNSUploadFileNames: a subscriber's upload is named as a transport
// container between the subscriber and a tax office, in either order;
// every other name is refused with the container message, and nothing of
// a refused upload is kept.
func TestFNSUploadFileNames(t *testing.T) {
	hex32 := strings.ReplaceAll(uuid.NewString(), "-", "")
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		sub := fnsSubscriber()
		lowerSub := "1ae" + uuid.NewString()
		accepted := []struct {
			name, file, guid, office string
		}{
			{"subscriber then office", fnsName(sub, "9965", "01_01_01"), sub, "9965"},
			{"office then subscriber, the document's example", fnsName("7701", sub, "07_01_01"), sub, "7701"},
			{"lower-case subscriber id", fnsName(lowerSub, "0001", "02_03_04"), strings.ToUpper(lowerSub), "0001"},
			{"upper-case document uid", "FNS_" + sub + "_9965_" + strings.ToUpper(hex32) + "_01_01_02.zip", sub, "9965"},
		}
		ids := map[string]int{}
		for i, c := range accepted {
			t.Run("accepts "+c.name, func(t *testing.T) {
				body := []byte("container " + c.name)
				before := time.Now()
				resp := fnsUpload(t, h, c.file, body)
				after := time.Now()
				if resp.Status != http.StatusOK {
					t.Fatalf("status %d: %s", resp.Status, resp.Body)
				}
				var raw map[string]any
				resp.JSON(t, &raw)
				if keys := fnsKeys(raw); !reflect.DeepEqual(keys, []string{"client_ip", "date_in", "filename", "id"}) {
					t.Fatalf("keys %v, want id, filename, client_ip, date_in: %s", keys, resp.Body)
				}
				var got fnsUploaded
				resp.JSON(t, &got)
				if _, err := uuid.Parse(got.ID); err != nil {
					t.Errorf("id %q is not a UUID", got.ID)
				}
				if got.Filename != c.file {
					t.Errorf("filename %q, want %q", got.Filename, c.file)
				}
				if got.ClientIP != "127.0.0.1" {
					t.Errorf("client_ip %q, want the connection's 127.0.0.1", got.ClientIP)
				}
				fnsCheckDateIn(t, got.DateIn, before, after)
				ids[got.ID] = i
			})
		}
		refused := []struct {
			name, file, message string
		}{
			{"wrong prefix", strings.Replace(fnsName(sub, "9965", "01_01_01"), "FNS_", "PFR_", 1), fnsContainerMessage},
			{"lower-case prefix", strings.Replace(fnsName(sub, "9965", "01_01_01"), "FNS_", "fns_", 1), fnsContainerMessage},
			{"operator to office", "FNS_9999_1AE_" + hex32 + "_01_01_01.zip", fnsContainerMessage},
			{"office to operator", "FNS_9999_1AE_" + hex32 + "_07_01_01.zip", fnsContainerMessage},
			{"subscriber to operator", "FNS_" + sub + "_1AE_" + hex32 + "_01_01_01.zip", fnsContainerMessage},
			{"office to office", fnsName("9965", "7701", "01_01_01"), fnsContainerMessage},
			{"subscriber to subscriber", fnsName(sub, fnsSubscriber(), "01_01_01"), fnsContainerMessage},
			{"three-digit office", fnsName(sub, "996", "01_01_01"), fnsContainerMessage},
			{"five-digit office", fnsName(sub, "99650", "01_01_01"), fnsContainerMessage},
			{"guid without operator prefix", fnsName(uuid.NewString(), "9965", "01_01_01"), fnsContainerMessage},
			{"document uid not hex", "FNS_" + sub + "_9965_" + "g" + hex32[1:] + "_01_01_01.zip", fnsContainerMessage},
			{"document uid 31 hex digits", "FNS_" + sub + "_9965_" + hex32[1:] + "_01_01_01.zip", fnsContainerMessage},
			{"document uid 33 hex digits", "FNS_" + sub + "_9965_" + hex32 + "a_01_01_01.zip", fnsContainerMessage},
			{"document uid dashed", "FNS_" + sub + "_9965_" + uuid.NewString() + "_01_01_01.zip", fnsContainerMessage},
			{"two codes", fnsName(sub, "9965", "01_01"), fnsContainerMessage},
			{"one-digit code", fnsName(sub, "9965", "01_1_01"), fnsContainerMessage},
			{"not a zip", strings.TrimSuffix(fnsName(sub, "9965", "01_01_01"), ".zip") + ".xml", fnsContainerMessage},
			{"no extension", strings.TrimSuffix(fnsName(sub, "9965", "01_01_01"), ".zip"), fnsContainerMessage},
			{"trailing space", fnsName(sub, "9965", "01_01_01") + " ", fnsContainerMessage},
			{"relative path", "../" + fnsName(sub, "9965", "01_01_01"), `"file" must have a plain file name`},
			{"directory path", "reports/2024/" + fnsName(sub, "9965", "01_01_01"), `"file" must have a plain file name`},
			{"absolute path", "/tmp/" + fnsName(sub, "9965", "01_01_01"), `"file" must have a plain file name`},
			{"windows path", `C:\reports\` + fnsName(sub, "9965", "01_01_01"), `"file" must have a plain file name`},
			{"dot dot", "..", `"file" must have a plain file name`},
		}
		for _, c := range refused {
			t.Run("refuses "+c.name, func(t *testing.T) {
				wantFNSError(t, fnsUpload(t, h, c.file, []byte("refused")), c.message)
			})
		}
		t.Run("refuses a form without the file", func(t *testing.T) {
			wantFNSError(t, h.Post(t, "/fns/packages", Form{NoFile: true, Fields: [][2]string{field("file", "x")}}), `"file" is required`)
		})
		t.Run("refuses a file with an empty name", func(t *testing.T) {
			wantFNSError(t, fnsUpload(t, h, "", []byte("x")), `"file" is required`)
		})
		t.Run("refuses the file under another part name", func(t *testing.T) {
			wantFNSError(t, h.Post(t, "/fns/packages", Form{FileField: "upload", FileName: fnsName(sub, "9965", "01_01_01"), File: []byte("x")}), `"file" is required`)
		})

		t.Run("the outbox holds the accepted uploads alone, with what the name says", func(t *testing.T) {
			outbox := fnsOutbox(t, h)
			if len(outbox) != len(accepted) {
				t.Fatalf("outbox has %d items, want the %d accepted uploads: %v", len(outbox), len(accepted), outbox)
			}
			for id, i := range ids {
				c := accepted[i]
				it, ok := outbox[id]
				if !ok {
					t.Fatalf("upload %s (%s) is not in the outbox", id, c.name)
				}
				if it.GUID == nil || *it.GUID != c.guid {
					t.Errorf("%s: guid %v, want %s", c.name, it.GUID, c.guid)
				}
				if it.Attributes["ifns_code"] != c.office {
					t.Errorf("%s: tax office %q, want %s", c.name, it.Attributes["ifns_code"], c.office)
				}
				if it.Filename != c.file {
					t.Errorf("%s: filename %q, want %q", c.name, it.Filename, c.file)
				}
				if it.Type != nil || it.Gate != nil {
					t.Errorf("%s: an upload has no type or gate, got %v %v", c.name, it.Type, it.Gate)
				}
			}
			if !fnsEventually(t, 5*time.Second, func() bool { return len(fnsStoredFiles(t, h)) == len(accepted) }) {
				t.Fatalf("storage holds %v, want only the %d accepted uploads", fnsStoredFiles(t, h), len(accepted))
			}
		})
	})
}

// TestFNSUploadClientIPAndSendDate: the client address comes from
// X-Real-IP, else the first X-Forwarded-For address, else the connection;
// X-Send-Date becomes sent_at, stored in UTC and shown in Moscow time, and
// without it sent_at is the time of receipt.
func TestFNSUploadClientIPAndSendDate(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		sub := fnsSubscriber()
		cases := []struct {
			name     string
			header   []string
			clientIP string
			sentAt   string // "" means the time of receipt
			sentUTC  time.Time
		}{
			{name: "no headers: the connection's address", clientIP: "127.0.0.1"},
			{name: "X-Real-IP", header: []string{"X-Real-IP", "82.113.1.187"}, clientIP: "82.113.1.187"},
			{name: "X-Real-IP wins over X-Forwarded-For", header: []string{"X-Real-IP", "82.113.1.187", "X-Forwarded-For", "10.0.0.1, 10.0.0.2"}, clientIP: "82.113.1.187"},
			{name: "X-Forwarded-For, first address", header: []string{"X-Forwarded-For", "203.0.113.7, 198.51.100.1, 10.0.0.1"}, clientIP: "203.0.113.7"},
			{name: "X-Forwarded-For, one address with spaces", header: []string{"X-Forwarded-For", "  198.51.100.23  "}, clientIP: "198.51.100.23"},
			{name: "X-Forwarded-For, not an address: the connection's", header: []string{"X-Forwarded-For", "unknown, 198.51.100.1"}, clientIP: "127.0.0.1"},
			{name: "X-Real-IP IPv6", header: []string{"X-Real-IP", "2001:db8::1"}, clientIP: "2001:db8::1"},
			{name: "X-Real-IP IPv4-mapped IPv6", header: []string{"X-Real-IP", "::ffff:82.113.1.187"}, clientIP: "82.113.1.187"},
			{name: "X-Send-Date", header: []string{"X-Send-Date", "2022-03-12 14:56:17"}, clientIP: "127.0.0.1",
				sentAt: "2022-03-12 14:56:17", sentUTC: time.Date(2022, 3, 12, 11, 56, 17, 0, time.UTC)},
			{name: "X-Send-Date and X-Real-IP", header: []string{"X-Send-Date", "2021-12-31 23:59:59", "X-Real-IP", "82.113.1.188"}, clientIP: "82.113.1.188",
				sentAt: "2021-12-31 23:59:59", sentUTC: time.Date(2021, 12, 31, 20, 59, 59, 0, time.UTC)},
		}
		st := h.Store(t)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before := time.Now()
				resp := fnsUpload(t, h, fnsName(sub, "9965", "01_01_01"), []byte(c.name), c.header...)
				after := time.Now()
				if resp.Status != http.StatusOK {
					t.Fatalf("status %d: %s", resp.Status, resp.Body)
				}
				var got fnsUploaded
				resp.JSON(t, &got)
				if got.ClientIP != c.clientIP {
					t.Errorf("client_ip %q, want %q", got.ClientIP, c.clientIP)
				}
				fnsCheckDateIn(t, got.DateIn, before, after)
				it, ok := fnsOutbox(t, h)[got.ID]
				if !ok {
					t.Fatalf("upload %s is not in the outbox", got.ID)
				}
				if it.ClientIP == nil || *it.ClientIP != c.clientIP {
					t.Errorf("outbox client_ip %v, want %q", it.ClientIP, c.clientIP)
				}
				if it.DateIn != got.DateIn {
					t.Errorf("outbox date_in %q, upload answered %q", it.DateIn, got.DateIn)
				}
				wantSent := c.sentAt
				if wantSent == "" {
					wantSent = got.DateIn
				}
				if it.SentAt == nil || *it.SentAt != wantSent {
					t.Errorf("outbox sent_at %v, want %q", it.SentAt, wantSent)
				}
				p, err := st.ByID(context.Background(), got.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !p.SentAt.Valid {
					t.Fatalf("sent_at is not stored")
				}
				if !c.sentUTC.IsZero() && !p.SentAt.Time.Time.Equal(c.sentUTC) {
					t.Errorf("stored sent_at %s, want %s", p.SentAt.Time.Time.UTC(), c.sentUTC)
				}
				if c.sentUTC.IsZero() && !p.SentAt.Time.Time.Equal(p.DateIn.Time) {
					t.Errorf("without X-Send-Date, sent_at %s should be the time of receipt %s", p.SentAt.Time.Time, p.DateIn.Time)
				}
			})
		}

		refused := []struct {
			name   string
			header []string
			want   []string
		}{
			{"X-Send-Date ISO", []string{"X-Send-Date", "2022-03-12T14:56:17"}, []string{`"X-Send-Date" must match pattern "%Y-%m-%d %H:%M:%S"`}},
			{"X-Send-Date bare date", []string{"X-Send-Date", "2022-03-12"}, []string{`"X-Send-Date" must match pattern "%Y-%m-%d %H:%M:%S"`}},
			{"X-Send-Date with a zone", []string{"X-Send-Date", "2022-03-12 14:56:17+03:00"}, []string{`"X-Send-Date" must match pattern "%Y-%m-%d %H:%M:%S"`}},
			{"X-Send-Date no such time", []string{"X-Send-Date", "2022-03-12 25:00:00"}, []string{`"X-Send-Date" must match pattern "%Y-%m-%d %H:%M:%S"`}},
			{"X-Real-IP not an address", []string{"X-Real-IP", "82.113.1"}, []string{`"X-Real-IP" is not a valid IP address`}},
			{"both at once", []string{"X-Real-IP", "localhost", "X-Send-Date", "yesterday"}, []string{`"X-Real-IP" is not a valid IP address`, `"X-Send-Date" must match pattern "%Y-%m-%d %H:%M:%S"`}},
		}
		count := len(fnsOutbox(t, h))
		for _, c := range refused {
			t.Run("refuses "+c.name, func(t *testing.T) {
				wantFNSError(t, fnsUpload(t, h, fnsName(sub, "9965", "01_01_01"), []byte(c.name), c.header...), c.want...)
			})
		}
		t.Run("refuses a bad header and a bad name, both named", func(t *testing.T) {
			wantFNSError(t, fnsUpload(t, h, "FNS_bad.zip", []byte("bad"), "X-Send-Date", "now"),
				fnsContainerMessage, `"X-Send-Date" must match pattern "%Y-%m-%d %H:%M:%S"`)
		})
		if n := len(fnsOutbox(t, h)); n != count {
			t.Errorf("refused uploads reached the outbox: %d items, want %d", n, count)
		}
	})
}

// TestFNSList: the list holds the inbound packages of the type, and of the
// guid and gate when given, oldest first, without deleted ones, uploads or
// mailings.
func TestFNSList(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		a, b, c := fnsSubscriber(), fnsSubscriber(), fnsSubscriber()
		type item = map[string]string
		deliver := func(guid, typ, gate, name string) item {
			fields := [][2]string{field("guid", guid), field("type", typ)}
			if gate != "" {
				fields = append(fields, field("gate", gate))
			}
			d := h.Deliver(t, "fns", Form{Fields: fields, FileName: name, File: []byte(name)})
			return item{"guid": guid, "uid": d.UID, "filename": name, "link": d.Link}
		}
		// Names run backwards, so an order by name or uid would show.
		p1 := deliver(a, "1c", "gate-one", "z1.zip")
		p2 := deliver(b, "1c", "gate-two", "y2.zip")
		p3 := deliver(a, "iotchet", "", "x3.zip") // the gate a guid belongs to is known
		p4 := deliver(c, "1c", "gate-one", "w4.zip")
		p5 := deliver(a, "ao4", "gate-one", "v5.zip")
		p6 := deliver(a, "1c", "", "u6.zip")
		p7 := deliver(a, "1c", "gate-one", "t7.zip")
		p8 := deliver(strings.ToLower(b), "platform", "gate-two", "s8.zip") // the guid is kept upper-case
		p8["guid"] = b
		// Neither an upload nor a mailing is anyone's inbound package.
		if resp := fnsUpload(t, h, fnsName(a, "9965", "01_01_01"), []byte("up")); resp.Status != http.StatusOK {
			t.Fatalf("upload: %d %s", resp.Status, resp.Body)
		}
		h.Publish(t, "fns", Form{Fields: [][2]string{field("code", "9965")}, FileName: "mass.zip", File: []byte("mass")})
		if !strings.HasPrefix(p3["link"], "files/gate-one/") || !strings.HasPrefix(p6["link"], "files/gate-one/") {
			t.Fatalf("a delivery without a gate should take the guid's gate: %s, %s", p3["link"], p6["link"])
		}

		check := func(t *testing.T, query string, want ...item) {
			t.Helper()
			resp := h.Get(t, "/fns/packages?"+query)
			if resp.Status != http.StatusOK {
				t.Fatalf("%s: status %d: %s", query, resp.Status, resp.Body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("%s: Content-Type %q", query, ct)
			}
			var raw []map[string]any
			resp.JSON(t, &raw)
			for _, r := range raw {
				if keys := fnsKeys(r); !reflect.DeepEqual(keys, []string{"filename", "guid", "link", "uid"}) {
					t.Fatalf("%s: item keys %v, want guid, uid, filename, link", query, keys)
				}
			}
			var got []item
			resp.JSON(t, &got)
			if want == nil {
				want = []item{}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s:\n got %v\nwant %v", query, got, want)
			}
		}
		cases := []struct {
			name, query string
			before      []item // before the DELETE
			after       []item // after it
		}{
			{"by type", "type=1c", []item{p1, p2, p4, p6, p7}, []item{p1, p2, p4, p7}},
			{"by type and guid", "type=1c&guid=" + a, []item{p1, p6, p7}, []item{p1, p7}},
			{"by type and lower-case guid", "type=1c&guid=" + strings.ToLower(a), []item{p1, p6, p7}, []item{p1, p7}},
			{"by type and gate", "type=1c&gate=gate-one", []item{p1, p4, p6, p7}, []item{p1, p4, p7}},
			{"by type and the other gate", "type=1c&gate=gate-two", []item{p2}, []item{p2}},
			{"by type, guid and gate", "type=1c&guid=" + a + "&gate=gate-one", []item{p1, p6, p7}, []item{p1, p7}},
			{"guid and gate that do not meet", "type=1c&guid=" + a + "&gate=gate-two", nil, nil},
			{"unknown gate", "type=1c&gate=gpr", nil, nil},
			{"another type", "type=iotchet", []item{p3}, []item{p3}},
			{"ao4 takes the guid", "type=ao4&guid=" + a, []item{p5}, []item{p5}},
			{"ao4 of another guid", "type=ao4&guid=" + b, nil, nil},
			{"platform", "type=platform", []item{p8}, []item{p8}},
			{"a type with no packages", "type=ao5", nil, nil},
			{"unknown guid", "type=1c&guid=" + fnsSubscriber(), nil, nil},
		}
		for _, c := range cases {
			t.Run("before delete/"+c.name, func(t *testing.T) { check(t, c.query, c.before...) })
		}
		if resp := h.Delete(t, "/"+p6["link"]); resp.Status != http.StatusNoContent {
			t.Fatalf("DELETE %s: status %d: %s", p6["link"], resp.Status, resp.Body)
		}
		for _, c := range cases {
			t.Run("after delete/"+c.name, func(t *testing.T) { check(t, c.query, c.after...) })
		}
	})
}

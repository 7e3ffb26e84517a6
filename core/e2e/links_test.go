package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

var (
	lkHexUID    = regexp.MustCompile(`^[0-9a-f]{32}$`)
	lkDashedUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// lkURL is the request path a client builds from a link: the link joined
// to the server address with "/" when it has no leading slash, each
// segment escaped.
func lkURL(link string) string {
	segs := strings.Split(strings.TrimPrefix(link, "/"), "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return "/" + strings.Join(segs, "/")
}

// lkBytes is a package body of n bytes, not text, unique to the seed.
func lkBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func lkDeliverFNS(t *testing.T, h *Host, guid, gate, name string, body []byte) Delivered {
	t.Helper()
	fields := [][2]string{field("type", "1c")}
	if guid != "" {
		fields = append(fields, field("guid", guid))
	}
	if gate != "" {
		fields = append(fields, field("gate", gate))
	}
	return h.Deliver(t, "fns", Form{Fields: fields, FileName: name, File: body})
}

func lkDeliverPFR(t *testing.T, h *Host, guid, regnum, name string, body []byte) Delivered {
	t.Helper()
	return h.Deliver(t, "pfr", Form{
		Fields:   [][2]string{field("guid", guid), field("type", "1c"), field("regnum", regnum)},
		FileName: name, File: body,
	})
}

func lkDeliverRosstat(t *testing.T, h *Host, guid, okpo, name string, body []byte) Delivered {
	t.Helper()
	return h.Deliver(t, "rosstat", Form{
		Fields:   [][2]string{field("guid", guid), field("type", "1c"), field("okpo", okpo)},
		FileName: name, File: body,
	})
}

func lkPublish(t *testing.T, h *Host, dir, code, gate, name string, body []byte) Delivered {
	t.Helper()
	fields := [][2]string{field("code", code)}
	if gate != "" {
		fields = append(fields, field("gate", gate))
	}
	return h.Publish(t, dir, Form{Fields: fields, FileName: name, File: body})
}

// lkListLinks is the links of a list or a massreport answer, whatever the
// item shape.
func lkListLinks(t *testing.T, h *Host, path string) []string {
	t.Helper()
	resp := h.Get(t, path)
	if resp.Status != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", path, resp.Status, resp.Body)
	}
	var raw []any
	resp.JSON(t, &raw)
	links := []string{}
	for _, it := range raw {
		switch v := it.(type) {
		case string:
			links = append(links, v)
		case map[string]any:
			link, _ := v["link"].(string)
			links = append(links, link)
		default:
			t.Fatalf("GET %s: item %v is neither a link nor an object", path, it)
		}
	}
	return links
}

// lkWantBytes fetches a link and checks that it answers the bytes.
func lkWantBytes(t *testing.T, h *Host, link string, body []byte) {
	t.Helper()
	resp := h.Get(t, lkURL(link))
	if resp.Status != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", link, resp.Status, resp.Body)
	}
	if !slices.Equal(resp.Body, body) {
		t.Fatalf("GET %s: %d bytes that are not the package's %d", link, len(resp.Body), len(body))
	}
}

// lkWantNotFound checks the answer to a path no direction owns.
func lkWantNotFound(t *testing.T, resp Response) {
	t.Helper()
	if resp.Status != http.StatusNotFound {
		t.Fatalf("status %d, want 404: %s", resp.Status, resp.Body)
	}
	var got map[string]any
	resp.JSON(t, &got)
	if !reflect.DeepEqual(got, map[string]any{"detail": "Not Found"}) {
		t.Fatalf("body %s, want {\"detail\": \"Not Found\"}", resp.Body)
	}
}

// TestLinkShapes: each direction builds its links in the document's shape,
// with a fresh uid, and lists them as it built them.
func TestLinkShapes(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		sub := fnsSubscriber()
		pfrGUID, rosGUID := uuid.NewString(), uuid.NewString()
		container := fnsName("9965", sub, "07_01_01")
		cases := []struct {
			name   string
			do     func() Delivered
			uid    *regexp.Regexp
			link   func(d Delivered) string
			listed string // the list that shows the link
		}{
			{
				name: "FNS inbound, guid from the container name",
				do:   func() Delivered { return lkDeliverFNS(t, h, "", "gate-7", container, []byte("a")) },
				uid:  lkHexUID,
				link: func(d Delivered) string {
					return "files/gate-7/" + sub[3:] + "/" + d.UID + "/" + container
				},
				listed: "/fns/packages?type=1c&guid=" + sub,
			},
			{
				name: "FNS inbound, guid given, lower case",
				do: func() Delivered {
					return lkDeliverFNS(t, h, strings.ToLower(sub), "", "protocol.zip", []byte("b"))
				},
				uid:    lkHexUID,
				link:   func(d Delivered) string { return "files/gate-7/" + sub[3:] + "/" + d.UID + "/protocol.zip" },
				listed: "/fns/packages?type=1c&guid=" + sub,
			},
			{
				name:   "FNS mailing, default gate",
				do:     func() Delivered { return lkPublish(t, h, "fns", "9965", "", "massreport1.zip", []byte("c")) },
				uid:    lkHexUID,
				link:   func(d Delivered) string { return "files/gpr/9965/" + d.UID + "/massreport1.zip" },
				listed: "/fns/massreport?code=9965",
			},
			{
				name:   "FNS mailing, own gate",
				do:     func() Delivered { return lkPublish(t, h, "fns", "7701", "ufns77", "massreport2.zip", []byte("d")) },
				uid:    lkHexUID,
				link:   func(d Delivered) string { return "files/ufns77/7701/" + d.UID + "/massreport2.zip" },
				listed: "/fns/massreport?code=7701",
			},
			{
				name: "PFR inbound",
				do: func() Delivered {
					return lkDeliverPFR(t, h, pfrGUID, "099-099-999999", "PFR-700-Y-2024.zip", []byte("e"))
				},
				uid:    lkDashedUID,
				link:   func(d Delivered) string { return "/099-099-999999/" + d.UID + "/PFR-700-Y-2024.zip" },
				listed: "/pfr/packages?type=1c&guid=" + pfrGUID,
			},
			{
				name:   "Rosstat inbound, organisation",
				do:     func() Delivered { return lkDeliverRosstat(t, h, rosGUID, "12345678", "stat.zip", []byte("f")) },
				uid:    lkDashedUID,
				link:   func(d Delivered) string { return "/12345678/" + d.UID + "/stat.zip" },
				listed: "/rosstat/packages?type=1c&guid=" + rosGUID,
			},
			{
				name: "Rosstat inbound, branch",
				do: func() Delivered {
					return lkDeliverRosstat(t, h, rosGUID, "12345678901234", "stat.zip", []byte("g"))
				},
				uid:    lkDashedUID,
				link:   func(d Delivered) string { return "/12345678901234/" + d.UID + "/stat.zip" },
				listed: "/rosstat/packages?type=1c&guid=" + rosGUID,
			},
			{
				name:   "Rosstat mailing",
				do:     func() Delivered { return lkPublish(t, h, "rosstat", "99-99", "", "massreport1_3_1.zip", []byte("h")) },
				uid:    lkDashedUID,
				link:   func(d Delivered) string { return "/99-99/" + d.UID + "/massreport1_3_1.zip" },
				listed: "/rosstat/massreport?code=99-99",
			},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				d := c.do()
				if !c.uid.MatchString(d.UID) {
					t.Fatalf("uid %q is not in the direction's rendering %s", d.UID, c.uid)
				}
				if want := c.link(d); d.Link != want {
					t.Fatalf("link\n got %q\nwant %q", d.Link, want)
				}
				if links := lkListLinks(t, h, c.listed); !slices.Contains(links, d.Link) {
					t.Fatalf("%s does not list %s: %v", c.listed, d.Link, links)
				}
			})
		}
	})
}

// TestLinksAreUniqueAcrossDirections: one file name delivered everywhere
// gives a distinct link each time, and each link resolves to its own
// bytes, whichever direction made it.
func TestLinksAreUniqueAcrossDirections(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		const name = "report.zip"
		sub, pfrGUID, rosGUID := fnsSubscriber(), uuid.NewString(), uuid.NewString()
		send := []func(body []byte) Delivered{
			func(b []byte) Delivered { return lkDeliverFNS(t, h, sub, "gpr", name, b) },
			func(b []byte) Delivered { return lkDeliverFNS(t, h, sub, "gpr", name, b) },
			func(b []byte) Delivered { return lkPublish(t, h, "fns", "9965", "", name, b) },
			func(b []byte) Delivered { return lkPublish(t, h, "fns", "9965", "", name, b) },
			func(b []byte) Delivered { return lkDeliverPFR(t, h, pfrGUID, "099-099-999999", name, b) },
			func(b []byte) Delivered { return lkDeliverPFR(t, h, pfrGUID, "099-099-999999", name, b) },
			func(b []byte) Delivered { return lkDeliverRosstat(t, h, rosGUID, "12345678", name, b) },
			func(b []byte) Delivered { return lkDeliverRosstat(t, h, rosGUID, "12345678", name, b) },
			func(b []byte) Delivered { return lkPublish(t, h, "rosstat", "99-99", "", name, b) },
			func(b []byte) Delivered { return lkPublish(t, h, "rosstat", "99-99", "", name, b) },
		}
		links := map[string][]byte{}
		uids := map[string]bool{}
		for i, do := range send {
			body := lkBytes(uint64(i+1), 512+i)
			d := do(body)
			if d.Filename != name {
				t.Fatalf("delivery %d: filename %q", i, d.Filename)
			}
			if _, dup := links[strings.TrimPrefix(d.Link, "/")]; dup {
				t.Fatalf("delivery %d: link %s was given before", i, d.Link)
			}
			if uids[d.UID] {
				t.Fatalf("delivery %d: uid %s was given before", i, d.UID)
			}
			links[strings.TrimPrefix(d.Link, "/")] = body
			uids[d.UID] = true
		}
		for link, body := range links {
			lkWantBytes(t, h, link, body)
		}
	})
}

// TestLinkDownload: GET of a link streams the package as an attachment,
// with its length and digest, and honours Range and If-None-Match.
func TestLinkDownload(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		sub := fnsSubscriber()
		cases := []struct {
			name, filename, contentType string
			do                          func(filename string, body []byte) Delivered
			// size is 4 KiB and the case's index when zero.
			size int
		}{
			{"FNS inbound, a link without a leading slash", fnsName("9965", sub, "07_01_01"), "application/zip",
				func(n string, b []byte) Delivered { return lkDeliverFNS(t, h, "", "gpr", n, b) }, 0},
			// The host sends a download's first 64 KiB corked and the rest
			// not; the parts must join up, in full and in every range.
			{"FNS inbound, longer than the corked head", fnsName("9965", sub, "07_01_01"), "application/zip",
				func(n string, b []byte) Delivered { return lkDeliverFNS(t, h, "", "gpr", n, b) }, 200<<10 + 3},
			{"FNS mailing", "massreport.ZIP", "application/zip",
				func(n string, b []byte) Delivered { return lkPublish(t, h, "fns", "9965", "", n, b) }, 0},
			{"PFR inbound, Cyrillic name with a space", "отчёт за 2024.zip", "application/zip",
				func(n string, b []byte) Delivered {
					return lkDeliverPFR(t, h, uuid.NewString(), "099-099-999999", n, b)
				}, 0},
			{"Rosstat inbound, not a zip", "form-1.xml", "application/octet-stream",
				func(n string, b []byte) Delivered {
					return lkDeliverRosstat(t, h, uuid.NewString(), "1234567890", n, b)
				}, 0},
			{"Rosstat mailing", "massreport1_3_1.zip", "application/zip",
				func(n string, b []byte) Delivered { return lkPublish(t, h, "rosstat", "99-99", "", n, b) }, 0},
		}
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				size := c.size
				if size == 0 {
					size = 4096 + i
				}
				body := lkBytes(uint64(100+i), size)
				sum := sha256.Sum256(body)
				etag := `"` + hex.EncodeToString(sum[:]) + `"`
				d := c.do(c.filename, body)
				path := lkURL(d.Link)

				resp := h.Get(t, path)
				if resp.Status != http.StatusOK {
					t.Fatalf("GET %s: status %d: %s", path, resp.Status, resp.Body)
				}
				if !slices.Equal(resp.Body, body) {
					t.Fatalf("body: %d bytes that are not the package's %d", len(resp.Body), len(body))
				}
				if got := resp.Header.Get("Content-Type"); got != c.contentType {
					t.Errorf("Content-Type %q, want %q", got, c.contentType)
				}
				disposition, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
				if err != nil || disposition != "attachment" || params["filename"] != c.filename {
					t.Errorf("Content-Disposition %q: %s %v (%v), want attachment with filename %q",
						resp.Header.Get("Content-Disposition"), disposition, params, err, c.filename)
				}
				if got := resp.Header.Get("Content-Length"); got != strconv.Itoa(len(body)) {
					t.Errorf("Content-Length %q, want %d", got, len(body))
				}
				if got := resp.Header.Get("ETag"); got != etag {
					t.Errorf("ETag %q, want the quoted sha256 %s", got, etag)
				}

				head := h.Do(t, h.Request(t, http.MethodHead, path, nil))
				if head.Status != http.StatusOK || len(head.Body) != 0 || head.Header.Get("ETag") != etag ||
					head.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
					t.Errorf("HEAD: status %d, %d body bytes, ETag %q, Content-Length %q",
						head.Status, len(head.Body), head.Header.Get("ETag"), head.Header.Get("Content-Length"))
				}

				ranges := []struct {
					header      string
					from, to    int // inclusive
					unsatisfied bool
				}{
					{header: "bytes=0-0", from: 0, to: 0},
					{header: "bytes=10-99", from: 10, to: 99},
					{header: "bytes=4000-", from: 4000, to: len(body) - 1},
					{header: "bytes=-7", from: len(body) - 7, to: len(body) - 1},
					{header: "bytes=100-999999", from: 100, to: len(body) - 1},
					{header: "bytes=1000-150000", from: 1000, to: min(150000, len(body)-1)},
					{header: "bytes=999999-", unsatisfied: true},
				}
				for _, r := range ranges {
					resp := h.Get(t, path, "Range", r.header)
					if r.unsatisfied {
						if resp.Status != http.StatusRequestedRangeNotSatisfiable {
							t.Errorf("Range %s: status %d, want 416", r.header, resp.Status)
						}
						if got, want := resp.Header.Get("Content-Range"), fmt.Sprintf("bytes */%d", len(body)); got != want {
							t.Errorf("Range %s: Content-Range %q, want %q", r.header, got, want)
						}
						continue
					}
					if resp.Status != http.StatusPartialContent {
						t.Errorf("Range %s: status %d, want 206", r.header, resp.Status)
						continue
					}
					if !slices.Equal(resp.Body, body[r.from:r.to+1]) {
						t.Errorf("Range %s: %d bytes that are not bytes %d-%d", r.header, len(resp.Body), r.from, r.to)
					}
					if got, want := resp.Header.Get("Content-Range"), fmt.Sprintf("bytes %d-%d/%d", r.from, r.to, len(body)); got != want {
						t.Errorf("Range %s: Content-Range %q, want %q", r.header, got, want)
					}
				}

				if resp := h.Get(t, path, "If-None-Match", etag); resp.Status != http.StatusNotModified || len(resp.Body) != 0 {
					t.Errorf("If-None-Match the ETag: status %d with %d bytes, want 304 and no body", resp.Status, len(resp.Body))
				}
				if resp := h.Get(t, path, "If-None-Match", `"0000", `+etag); resp.Status != http.StatusNotModified {
					t.Errorf("If-None-Match a list with the ETag: status %d, want 304", resp.Status)
				}
				if resp := h.Get(t, path, "If-None-Match", `"`+strings.Repeat("0", 64)+`"`); resp.Status != http.StatusOK || !slices.Equal(resp.Body, body) {
					t.Errorf("If-None-Match another ETag: status %d, want 200 with the bytes", resp.Status)
				}
				if resp := h.Get(t, path, "If-Range", etag, "Range", "bytes=5-9"); resp.Status != http.StatusPartialContent || !slices.Equal(resp.Body, body[5:10]) {
					t.Errorf("If-Range the ETag: status %d, want 206 with bytes 5-9", resp.Status)
				}
				if resp := h.Get(t, path, "If-Range", `"`+strings.Repeat("0", 64)+`"`, "Range", "bytes=5-9"); resp.Status != http.StatusOK || !slices.Equal(resp.Body, body) {
					t.Errorf("If-Range another ETag: status %d, want 200 with the whole file", resp.Status)
				}
			})
		}
		t.Run("a link that never existed", func(t *testing.T) {
			for _, path := range []string{
				"/files/gpr/" + sub[3:] + "/" + strings.Repeat("a", 32) + "/x.zip",
				"/099-099-999999/" + uuid.NewString() + "/x.zip",
				"/99-99/" + uuid.NewString() + "/x.zip",
				"/nothing",
			} {
				lkWantNotFound(t, h.Get(t, path))
			}
		})
	})
}

// TestLinkDelete: DELETE takes an inbound package off its list, answers
// 204 again for a deleted one and 404 for a link that never was, and
// leaves the bytes downloadable; a mass mailing stays listed.
func TestLinkDelete(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		sub, pfrGUID, rosGUID := fnsSubscriber(), uuid.NewString(), uuid.NewString()
		inbound := []struct {
			name string
			list string
			do   func(body []byte) Delivered
		}{
			{"FNS", "/fns/packages?type=1c&guid=" + sub,
				func(b []byte) Delivered { return lkDeliverFNS(t, h, sub, "gpr", "receipt.zip", b) }},
			{"PFR", "/pfr/packages?type=1c&guid=" + pfrGUID,
				func(b []byte) Delivered { return lkDeliverPFR(t, h, pfrGUID, "099-099-999999", "receipt.zip", b) }},
			{"Rosstat", "/rosstat/packages?type=1c&guid=" + rosGUID,
				func(b []byte) Delivered { return lkDeliverRosstat(t, h, rosGUID, "12345678", "receipt.zip", b) }},
		}
		for i, c := range inbound {
			t.Run(c.name+" inbound", func(t *testing.T) {
				gone, kept := lkBytes(uint64(200+i), 300), lkBytes(uint64(300+i), 301)
				d, other := c.do(gone), c.do(kept)
				if links := lkListLinks(t, h, c.list); !reflect.DeepEqual(links, []string{d.Link, other.Link}) {
					t.Fatalf("before DELETE the list is %v", links)
				}
				for round := 1; round <= 2; round++ {
					resp := h.Delete(t, lkURL(d.Link))
					if resp.Status != http.StatusNoContent || len(resp.Body) != 0 {
						t.Fatalf("DELETE #%d: status %d, body %q; want 204 and no body", round, resp.Status, resp.Body)
					}
				}
				if links := lkListLinks(t, h, c.list); !reflect.DeepEqual(links, []string{other.Link}) {
					t.Fatalf("after DELETE the list is %v, want only %s", links, other.Link)
				}
				lkWantBytes(t, h, d.Link, gone)
				lkWantBytes(t, h, other.Link, kept)
			})
		}
		mailings := []struct {
			name, report string
			do           func(body []byte) Delivered
		}{
			{"FNS", "/fns/massreport?code=9965",
				func(b []byte) Delivered { return lkPublish(t, h, "fns", "9965", "", "mass.zip", b) }},
			{"Rosstat", "/rosstat/massreport?code=99-99",
				func(b []byte) Delivered { return lkPublish(t, h, "rosstat", "99-99", "", "mass.zip", b) }},
		}
		for i, c := range mailings {
			t.Run(c.name+" mailing", func(t *testing.T) {
				body := lkBytes(uint64(400+i), 333)
				d := c.do(body)
				for round := 1; round <= 2; round++ {
					if resp := h.Delete(t, lkURL(d.Link)); resp.Status != http.StatusNoContent {
						t.Fatalf("DELETE #%d: status %d: %s", round, resp.Status, resp.Body)
					}
				}
				if links := lkListLinks(t, h, c.report); !slices.Contains(links, d.Link) {
					t.Fatalf("after DELETE %s no longer lists %s: %v", c.report, d.Link, links)
				}
				lkWantBytes(t, h, d.Link, body)
			})
		}
		t.Run("a link that never existed", func(t *testing.T) {
			for _, path := range []string{
				"/files/gpr/" + sub[3:] + "/" + strings.Repeat("b", 32) + "/receipt.zip",
				"/099-099-999999/" + uuid.NewString() + "/receipt.zip",
				"/12345678/" + uuid.NewString() + "/receipt.zip",
				"/fns",
			} {
				lkWantNotFound(t, h.Delete(t, path))
			}
		})
	})
}

// TestLinkPurge: once the retention after a DELETE has passed, the bytes
// are removed and the link answers 410 in its direction's error format;
// packages not deleted, and mailings, keep their bytes.
func TestLinkPurge(t *testing.T) {
	const goneMessage = "the package was deleted and its content is no longer kept"
	cfg := hostConfig{retention: 2 * time.Second, purgeInterval: 200 * time.Millisecond}
	forEachBackend(t, cfg, func(t *testing.T, h *Host) {
		sub, pfrGUID, rosGUID := fnsSubscriber(), uuid.NewString(), uuid.NewString()
		type pkg struct {
			d    Delivered
			body []byte
			gone any // the 410 body, decoded; nil for a package that stays
		}
		mk := func(seed uint64, do func([]byte) Delivered, gone any) pkg {
			b := lkBytes(seed, 700)
			return pkg{d: do(b), body: b, gone: gone}
		}
		fnsGone := map[string]any{"errors": []any{goneMessage}, "status": "Gone"}
		pydanticGone := map[string]any{"detail": goneMessage}
		deleted := []pkg{
			mk(1, func(b []byte) Delivered { return lkDeliverFNS(t, h, sub, "gpr", "r.zip", b) }, fnsGone),
			mk(2, func(b []byte) Delivered { return lkDeliverPFR(t, h, pfrGUID, "099-099-999999", "r.zip", b) }, pydanticGone),
			mk(3, func(b []byte) Delivered { return lkDeliverRosstat(t, h, rosGUID, "12345678", "r.zip", b) }, pydanticGone),
		}
		kept := []pkg{
			mk(4, func(b []byte) Delivered { return lkDeliverFNS(t, h, sub, "gpr", "r.zip", b) }, nil),
			mk(5, func(b []byte) Delivered { return lkPublish(t, h, "fns", "9965", "", "m.zip", b) }, nil),
			mk(6, func(b []byte) Delivered { return lkPublish(t, h, "rosstat", "99-99", "", "m.zip", b) }, nil),
		}
		// Deleted and never downloaded again, so that only the purge can
		// remove its link record.
		unread := mk(7, func(b []byte) Delivered { return lkDeliverFNS(t, h, sub, "gpr", "r.zip", b) }, nil)
		for _, p := range append(slices.Clone(deleted), append(kept[1:], unread)...) {
			if resp := h.Delete(t, lkURL(p.d.Link)); resp.Status != http.StatusNoContent {
				t.Fatalf("DELETE %s: status %d: %s", p.d.Link, resp.Status, resp.Body)
			}
		}
		// Within the retention the bytes are still served.
		for _, p := range deleted {
			lkWantBytes(t, h, p.d.Link, p.body)
		}
		for _, p := range deleted {
			ok := fnsEventually(t, 20*time.Second, func() bool {
				return h.Get(t, lkURL(p.d.Link)).Status == http.StatusGone
			})
			if !ok {
				t.Fatalf("%s was not purged in time", p.d.Link)
			}
			resp := h.Get(t, lkURL(p.d.Link))
			var got any
			resp.JSON(t, &got)
			if !reflect.DeepEqual(got, p.gone) {
				t.Errorf("GET %s after the purge: body %s, want %v", p.d.Link, resp.Body, p.gone)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("GET %s after the purge: Content-Type %q", p.d.Link, ct)
			}
			if resp := h.Delete(t, lkURL(p.d.Link)); resp.Status != http.StatusNoContent {
				t.Errorf("DELETE %s after the purge: status %d, want 204", p.d.Link, resp.Status)
			}
		}
		// The host remembers the links it resolved before the purge; once a
		// link's missing bytes sent it back to the database, it knows of
		// the purge and warns of no missing bytes.
		missing := strings.Count(h.Logs(), "package bytes missing")
		for range 3 {
			for _, p := range deleted {
				if resp := h.Get(t, lkURL(p.d.Link)); resp.Status != http.StatusGone {
					t.Errorf("GET %s after the purge: status %d, want 410", p.d.Link, resp.Status)
				}
			}
		}
		time.Sleep(300 * time.Millisecond) // the host's log reaches the test through a pipe
		if n := strings.Count(h.Logs(), "package bytes missing"); n != missing {
			t.Errorf("downloads of purged packages logged %d warnings of missing bytes", n-missing)
		}
		files := fnsStoredFiles(t, h)
		for _, p := range deleted {
			if slices.Contains(files, p.d.ID) {
				t.Errorf("the bytes of purged %s are still stored", p.d.ID)
			}
		}
		unreadRecord := h.LinkRecordPath(t, unread.d.ID)
		removed := fnsEventually(t, 20*time.Second, func() bool {
			_, err := os.Stat(unreadRecord)
			return errors.Is(err, fs.ErrNotExist)
		})
		if !removed {
			t.Errorf("the link record of %s is still stored after its purge", unread.d.Link)
		}
		for _, p := range deleted {
			if _, err := os.Stat(h.LinkRecordPath(t, p.d.ID)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the link record of purged %s is still stored: %v", p.d.ID, err)
			}
		}
		for _, p := range kept {
			if !slices.Contains(files, p.d.ID) {
				t.Errorf("the bytes of %s, which was not purged, are gone", p.d.Link)
			}
			if _, err := os.Stat(h.LinkRecordPath(t, p.d.ID)); err != nil {
				t.Errorf("the link record of %s, which was not purged: %v", p.d.Link, err)
			}
			lkWantBytes(t, h, p.d.Link, p.body)
		}
		if links := lkListLinks(t, h, "/fns/packages?type=1c&guid="+sub); !reflect.DeepEqual(links, []string{kept[0].d.Link}) {
			t.Errorf("after the purge the FNS list is %v, want only %s", links, kept[0].d.Link)
		}
	})
}

// TestLinkRecordsServeDownloads: each package delivered or published
// has its link's record in the storage from the moment it is answered; a
// restarted host, which remembers no link, downloads through it; and a
// package whose record is missing, as one stored before records existed,
// is downloaded from the database and gets its record then.
func TestLinkRecordsServeDownloads(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		inbound := lkBytes(11, 900)
		mailing := lkBytes(12, 800)
		stored := map[string]struct {
			d    Delivered
			body []byte
		}{
			"inbound": {lkDeliverFNS(t, h, fnsSubscriber(), "gpr", "r.zip", inbound), inbound},
			"mailing": {lkPublish(t, h, "rosstat", "99-99", "", "m.zip", mailing), mailing},
		}
		for name, p := range stored {
			if _, err := os.Stat(h.LinkRecordPath(t, p.d.ID)); err != nil {
				t.Errorf("the %s package's link record: %v", name, err)
			}
		}
		h.Restart(t)
		for _, p := range stored {
			lkWantBytes(t, h, p.d.Link, p.body)
		}

		old := stored["inbound"]
		record := h.LinkRecordPath(t, old.d.ID)
		if err := os.Remove(record); err != nil {
			t.Fatal(err)
		}
		h.Restart(t)
		lkWantBytes(t, h, old.d.Link, old.body)
		// The record is written once the client has its bytes.
		written := fnsEventually(t, 5*time.Second, func() bool { _, err := os.Stat(record); return err == nil })
		if !written {
			t.Errorf("a download from the database left no link record at %s", record)
		}
		h.Restart(t)
		lkWantBytes(t, h, old.d.Link, old.body)
	})
}

// TestLinkBytesLostOutsideThePurge: bytes that vanish from the storage
// of a package never deleted, after its link was downloaded and so
// remembered, answer 410 in the direction's format and are reported in the
// host's log, as they are for a link downloaded for the first time.
func TestLinkBytesLostOutsideThePurge(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		body := lkBytes(7, 500)
		d := lkDeliverPFR(t, h, uuid.NewString(), "099-099-999999", "r.zip", body)
		lkWantBytes(t, h, d.Link, body)
		if err := os.Remove(h.BlobPath(d.ID)); err != nil {
			t.Fatalf("remove the package's bytes: %v", err)
		}
		resp := h.Get(t, lkURL(d.Link))
		var got any
		resp.JSON(t, &got)
		want := map[string]any{"detail": "the package was deleted and its content is no longer kept"}
		if resp.Status != http.StatusGone || !reflect.DeepEqual(got, want) {
			t.Errorf("GET %s without its bytes: status %d, body %s; want 410 %v", d.Link, resp.Status, resp.Body, want)
		}
		warned := fnsEventually(t, 5*time.Second, func() bool {
			return strings.Contains(h.Logs(), `msg="package bytes missing; answered as purged" id=`+d.ID)
		})
		if !warned {
			t.Errorf("the host did not report the missing bytes of %s; its log:\n%s", d.ID, h.Logs())
		}
	})
}

// TestLinkWithURLSyntaxInTheName delivers a file whose name has #, ? and
// %: its link escapes them, and the link joined to the server's address,
// as a client's HTTP library sends it, downloads and deletes the package.
func TestLinkWithURLSyntaxInTheName(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		name := "Требование #5? 100%.zip"
		d := h.Deliver(t, "pfr", Form{
			Fields:   [][2]string{field("guid", uuid.NewString()), field("type", "1c"), field("regnum", "099-099-999999")},
			FileName: name, File: []byte("demand"),
		})
		if !strings.HasSuffix(d.Link, "/Требование %235%3F 100%25.zip") {
			t.Fatalf("link %q does not escape the name's URL syntax", d.Link)
		}
		u, err := url.Parse(h.URL + d.Link)
		if err != nil {
			t.Fatalf("the link does not join into a URL: %v", err)
		}
		res, err := http.Get(u.String())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || string(body) != "demand" {
			t.Fatalf("GET %s: %d %s", u, res.StatusCode, body)
		}
		req, _ := http.NewRequest(http.MethodDelete, u.String(), nil)
		if resp := h.Do(t, req); resp.Status != http.StatusNoContent {
			t.Fatalf("DELETE %s: %d %s", u, resp.Status, resp.Body)
		}
	})
}

package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
)

// TestConcurrentWritesKeepTheirOutcomes sends a real host, at once,
// DELETEs of delivered packages, uploads, and pairs of deliveries that
// bind one new guid to two gates. SQLite commits the writes that arrive
// together in one transaction (core/store's group commit); through HTTP
// each must still get its own answer and leave exactly its own effect:
// every DELETE takes its package off its list, every upload is in the
// outbox once, and of each pair one delivery is stored and the other
// refused with nothing left behind.
func TestConcurrentWritesKeepTheirOutcomes(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		const n = 12
		const dir = "pfr"
		gate := gateOf()
		var deliveredGUIDs, deliveredLinks []string
		for i := range n {
			guid := subscriberOf(dir)
			d := h.Deliver(t, dir, deliverForm(dir, guid, gate, "ao5", fmt.Appendf(nil, "delivered %d", i)))
			deliveredGUIDs, deliveredLinks = append(deliveredGUIDs, guid), append(deliveredLinks, d.Link)
		}
		blobsBefore := len(storedFiles(t, h, "packages"))

		// Every request is built here, on the test's goroutine, and only
		// sent from others.
		type call struct {
			req    *http.Request
			status int
			body   []byte
			err    error
		}
		var calls []*call
		add := func(req *http.Request) int {
			calls = append(calls, &call{req: req})
			return len(calls) - 1
		}
		multipart := func(method, path string, f Form, token bool) *http.Request {
			body, contentType := f.Encode(t)
			req := h.Request(t, method, path, bytes.NewReader(body))
			req.Header.Set("Content-Type", contentType)
			if token {
				req.Header.Set("Authorization", "Bearer "+operatorToken)
			}
			return req
		}
		var deletes, uploads []int
		for _, link := range deliveredLinks {
			deletes = append(deletes, add(h.Request(t, http.MethodDelete, lkURL(link), nil)))
		}
		uploader := subscriberOf(dir)
		for i := range n {
			f := Form{Fields: [][2]string{field("type", "ao5"), field("guid", uploader), field("gate", gate)},
				FileName: "up.zip", File: fmt.Appendf(nil, "upload %d", i)}
			uploads = append(uploads, add(multipart(http.MethodPost, "/"+dir+"/packages", f, false)))
		}
		type pair struct {
			guid  string
			calls [2]int
		}
		var pairs []pair
		for i := range n {
			p := pair{guid: subscriberOf(dir)}
			for j, g := range []string{gate, gateOf()} {
				f := deliverForm(dir, p.guid, g, "ao5", fmt.Appendf(nil, "pair %d, gate %d", i, j))
				p.calls[j] = add(multipart(http.MethodPost, "/operator/v1/directions/"+dir+"/packages", f, true))
			}
			pairs = append(pairs, p)
		}

		// A client of its own, whose connections close before the host
		// stops: one it dialled and never used would hold the host's
		// graceful shutdown for the 5 s net/http grants a new connection.
		client := &http.Client{Transport: &http.Transport{}}
		t.Cleanup(client.CloseIdleConnections)
		var wg sync.WaitGroup
		for _, c := range calls {
			wg.Go(func() {
				resp, err := client.Do(c.req)
				if err != nil {
					c.err = err
					return
				}
				defer resp.Body.Close()
				c.status = resp.StatusCode
				c.body, c.err = io.ReadAll(resp.Body)
			})
		}
		wg.Wait()
		for _, c := range calls {
			if c.err != nil {
				t.Fatalf("%s %s: %v", c.req.Method, c.req.URL.Opaque, c.err)
			}
		}

		for i, k := range deletes {
			if calls[k].status != http.StatusNoContent {
				t.Errorf("DELETE %s: %d %s", deliveredLinks[i], calls[k].status, calls[k].body)
			}
			if got := listed(t, h, listPath(dir, "ao5", deliveredGUIDs[i])); len(got) != 0 {
				t.Errorf("after its DELETE, %s lists %v", deliveredGUIDs[i], got)
			}
		}
		var uploaded []string
		for _, k := range uploads {
			if calls[k].status != http.StatusOK {
				t.Errorf("upload: %d %s", calls[k].status, calls[k].body)
				continue
			}
			var up struct{ ID string }
			Response{Status: calls[k].status, Body: calls[k].body}.JSON(t, &up)
			uploaded = append(uploaded, up.ID)
		}
		var inOutbox []string
		for _, it := range readOutbox(t, h, dir) {
			if slices.Contains(uploaded, it.ID) {
				inOutbox = append(inOutbox, it.ID)
			}
		}
		slices.Sort(uploaded)
		slices.Sort(inOutbox)
		if !slices.Equal(inOutbox, uploaded) {
			t.Errorf("the outbox holds %d of the %d uploads (%v), each once: want %v", len(inOutbox), len(uploaded), inOutbox, uploaded)
		}
		for _, p := range pairs {
			first, second := calls[p.calls[0]], calls[p.calls[1]]
			statuses := []int{first.status, second.status}
			slices.Sort(statuses)
			if !slices.Equal(statuses, []int{http.StatusCreated, http.StatusConflict}) {
				t.Errorf("deliveries of %s to two gates answered %d and %d, want one 201 and one 409", p.guid, first.status, second.status)
				continue
			}
			accepted := first
			if second.status == http.StatusCreated {
				accepted = second
			}
			var d Delivered
			Response{Status: accepted.status, Body: accepted.body}.JSON(t, &d)
			if got := listed(t, h, listPath(dir, "ao5", p.guid)); !slices.Equal(got, []string{d.Link}) {
				t.Errorf("%s lists %v, want only the accepted %s", p.guid, got, d.Link)
			}
		}
		// The refused deliveries left no bytes: the files are those before
		// and one for each upload and accepted delivery.
		if got, want := len(storedFiles(t, h, "packages")), blobsBefore+len(uploaded)+len(pairs); got != want {
			t.Errorf("%d stored files, want %d", got, want)
		}
		wantNoTemporaryFiles(t, h)
	})
}

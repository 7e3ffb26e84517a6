package e2e

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// mrAwayFromMidnight waits past midnight in Moscow when it is close, so
// that the test and the host agree on what today is.
func mrAwayFromMidnight(t *testing.T) time.Time {
	t.Helper()
	now := time.Now().In(mskZone(t))
	next := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, now.Location())
	if left := next.Sub(now); left < time.Minute {
		t.Logf("waiting %s for midnight in Moscow to pass", left)
		time.Sleep(left + time.Second)
		now = time.Now().In(mskZone(t))
	}
	return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
}

// mrDirection is what differs between the FNS and Rosstat massreports.
type mrDirection struct {
	name, code, otherCode string
	// item is how the massreport shows a mailing.
	item func(d Delivered, code string) any
}

var mrDirections = []mrDirection{
	{name: "fns", code: "1111", otherCode: "2222", item: func(d Delivered, code string) any {
		return map[string]any{"fns": code, "uid": d.UID, "filename": d.Filename, "link": d.Link}
	}},
	{name: "rosstat", code: "11-11", otherCode: "22-22", item: func(d Delivered, _ string) any {
		return d.Link
	}},
}

// mrGet asks for a massreport and decodes its items.
func mrGet(t *testing.T, h *Host, path string) []any {
	t.Helper()
	resp := h.Get(t, path)
	if resp.Status != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", path, resp.Status, resp.Body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("GET %s: Content-Type %q", path, ct)
	}
	var got []any
	resp.JSON(t, &got)
	return got
}

// TestMassreportDates: mailings placed yesterday, today and tomorrow in
// Moscow time, at the edges of the days, are reported by the range the
// query names: today by default, dates or datetimes, a bare end date
// taking its whole day and a datetime end its whole second, and only the
// code asked for.
func TestMassreportDates(t *testing.T) {
	for _, dir := range mrDirections {
		t.Run(dir.name, func(t *testing.T) {
			forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
				today := mrAwayFromMidnight(t)
				yesterday, tomorrow := today.AddDate(0, 0, -1), today.AddDate(0, 0, 1)
				mailings := []struct {
					name string
					at   time.Time
					code string
				}{
					{"yest_noon", yesterday.Add(12 * time.Hour), dir.code},
					{"yest_last", today.Add(-time.Second), dir.code},
					{"today_first", today, dir.code},
					{"today_first_half", today.Add(500 * time.Millisecond), dir.code},
					{"today_noon", today.Add(12 * time.Hour), dir.code},
					{"other_code", today.Add(12*time.Hour + 30*time.Minute), dir.otherCode},
					{"today_last", tomorrow.Add(-time.Millisecond), dir.code},
					{"tomorrow_first", tomorrow, dir.code},
				}
				items := map[string]any{}
				// Published newest first, so the report's order is the
				// receipt time's, not the publication's.
				for i := len(mailings) - 1; i >= 0; i-- {
					m := mailings[i]
					d := lkPublish(t, h, dir.name, m.code, "", m.name+".zip", []byte(m.name))
					h.SetDateIn(t, d.ID, m.at)
					items[m.name] = dir.item(d, m.code)
				}
				day := func(d time.Time) string { return d.Format("2006-01-02") }
				at := func(d time.Time) string { return strings.ReplaceAll(d.Format("2006-01-02 15:04:05"), " ", "%20") }
				cases := []struct {
					name, query string
					want        []string
				}{
					{"no dates: today", "",
						[]string{"today_first", "today_first_half", "today_noon", "today_last"}},
					{"start yesterday, end by default today", "date_start=" + day(yesterday),
						[]string{"yest_noon", "yest_last", "today_first", "today_first_half", "today_noon", "today_last"}},
					{"one bare date is its whole day", "date_start=" + day(yesterday) + "&date_end=" + day(yesterday),
						[]string{"yest_noon", "yest_last"}},
					{"end tomorrow, start by default today", "date_end=" + day(tomorrow),
						[]string{"today_first", "today_first_half", "today_noon", "today_last", "tomorrow_first"}},
					{"bare dates over three days", "date_start=" + day(yesterday) + "&date_end=" + day(tomorrow),
						[]string{"yest_noon", "yest_last", "today_first", "today_first_half", "today_noon", "today_last", "tomorrow_first"}},
					{"datetimes across midnight, the end second whole", "date_start=" + at(today.Add(-time.Second)) + "&date_end=" + at(today),
						[]string{"yest_last", "today_first", "today_first_half"}},
					{"one second", "date_start=" + at(yesterday.Add(12*time.Hour)) + "&date_end=" + at(yesterday.Add(12*time.Hour)),
						[]string{"yest_noon"}},
					{"a datetime start leaves out the second before", "date_start=" + at(today.Add(time.Second)),
						[]string{"today_noon", "today_last"}},
					{"a datetime end, start by default today", "date_end=" + at(today.Add(12*time.Hour)),
						[]string{"today_first", "today_first_half", "today_noon"}},
					{"a datetime end just before a mailing", "date_end=" + at(today.Add(12*time.Hour-time.Second)),
						[]string{"today_first", "today_first_half"}},
					{"datetime start, bare end", "date_start=" + at(yesterday.Add(12*time.Hour+time.Second)) + "&date_end=" + day(today),
						[]string{"yest_last", "today_first", "today_first_half", "today_noon", "today_last"}},
					{"bare start, datetime end", "date_start=" + day(tomorrow) + "&date_end=" + at(tomorrow),
						[]string{"tomorrow_first"}},
					{"the day after tomorrow", "date_start=" + day(tomorrow.AddDate(0, 0, 1)), nil},
					{"start after end", "date_start=" + day(tomorrow) + "&date_end=" + day(yesterday), nil},
					{"the other code", "code=" + dir.otherCode, []string{"other_code"}},
					{"the other code, outside its day", "code=" + dir.otherCode + "&date_start=" + day(yesterday) + "&date_end=" + day(yesterday), nil},
				}
				for _, c := range cases {
					t.Run(c.name, func(t *testing.T) {
						query := c.query
						if !strings.Contains(query, "code=") {
							query = "code=" + dir.code + "&" + query
						}
						want := make([]any, 0, len(c.want))
						for _, name := range c.want {
							want = append(want, items[name])
						}
						got := mrGet(t, h, "/"+dir.name+"/massreport?"+strings.TrimSuffix(query, "&"))
						if !reflect.DeepEqual(got, want) {
							t.Errorf("%s:\n got %v\nwant %v", query, got, want)
						}
					})
				}
				if dir.name == "fns" {
					t.Run("no code: every tax office", func(t *testing.T) {
						want := []any{items["today_first"], items["today_first_half"], items["today_noon"], items["other_code"], items["today_last"]}
						if got := mrGet(t, h, "/fns/massreport"); !reflect.DeepEqual(got, want) {
							t.Errorf("\n got %v\nwant %v", got, want)
						}
					})
					t.Run("a code with no mailings", func(t *testing.T) {
						if got := mrGet(t, h, "/fns/massreport?code=9999&date_start=2000-01-01&date_end="+day(tomorrow)); len(got) != 0 {
							t.Errorf("got %v, want none", got)
						}
					})
				}
			})
		})
	}
}

// TestMassreportItems: the FNS massreport answers objects with exactly
// fns, uid, filename and link, Rosstat's the links alone; mailings and
// inbound packages of other directions never show.
func TestMassreportItems(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		mrAwayFromMidnight(t)
		f := lkPublish(t, h, "fns", "7701", "", "fns-mass.zip", []byte("fns"))
		r := lkPublish(t, h, "rosstat", "77-01", "", "ros-mass.zip", []byte("ros"))
		lkDeliverFNS(t, h, fnsSubscriber(), "gpr", "inbound.zip", []byte("inbound"))

		resp := h.Get(t, "/fns/massreport")
		var raw []map[string]any
		resp.JSON(t, &raw)
		if len(raw) != 1 {
			t.Fatalf("FNS massreport: %s, want the one FNS mailing", resp.Body)
		}
		if keys := fnsKeys(raw[0]); !reflect.DeepEqual(keys, []string{"filename", "fns", "link", "uid"}) {
			t.Fatalf("FNS item keys %v, want fns, uid, filename, link", keys)
		}
		want := map[string]any{"fns": "7701", "uid": f.UID, "filename": "fns-mass.zip", "link": f.Link}
		if !reflect.DeepEqual(raw[0], want) {
			t.Errorf("FNS item %v, want %v", raw[0], want)
		}

		resp = h.Get(t, "/rosstat/massreport?code=77-01")
		var links []string
		resp.JSON(t, &links)
		if !reflect.DeepEqual(links, []string{r.Link}) {
			t.Errorf("Rosstat massreport %s, want [%q]", resp.Body, r.Link)
		}
		if resp := h.Get(t, "/rosstat/massreport?code=77-02"); resp.Status != http.StatusOK || string(resp.Body) != "[]" {
			t.Errorf("Rosstat massreport of another department: status %d, body %s; want 200 []", resp.Status, resp.Body)
		}
	})
}

// TestRosstatMassreportErrors: Rosstat's code is required and shaped
// NN-NN, and its errors are pydantic's list, every violation at once.
func TestRosstatMassreportErrors(t *testing.T) {
	type violation struct {
		Loc  []string `json:"loc"`
		Msg  string   `json:"msg"`
		Type string   `json:"type"`
	}
	missing := violation{[]string{"code"}, "field required", "value_error"}
	regex := violation{[]string{"code"}, `string does not match regex "^\d{2}-\d{2}$"`, "value_error"}
	datetime := func(name string) violation {
		return violation{[]string{name}, "invalid datetime format", "value_error"}
	}
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		cases := []struct {
			name, query string
			want        []violation
		}{
			{"no code", "", []violation{missing}},
			{"dates but no code", "date_start=2024-01-01", []violation{missing}},
			{"a tax office code", "code=9999", []violation{regex}},
			{"too many digits", "code=999-99", []violation{regex}},
			{"a dot, not a dash", "code=99.99", []violation{regex}},
			{"ISO datetime", "code=99-99&date_start=2024-01-01T00:00:00", []violation{datetime("date_start")}},
			{"no such day", "code=99-99&date_end=2024-02-30", []violation{datetime("date_end")}},
			{"everything wrong at once", "date_start=yesterday&date_end=2024-01-01%2024:00:00",
				[]violation{missing, datetime("date_start"), datetime("date_end")}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				resp := h.Get(t, "/rosstat/massreport?"+c.query)
				if resp.Status != http.StatusBadRequest {
					t.Fatalf("status %d, want 400: %s", resp.Status, resp.Body)
				}
				var got []violation
				resp.JSON(t, &got)
				if !reflect.DeepEqual(got, c.want) {
					t.Fatalf("body %s\nwant %v", resp.Body, c.want)
				}
			})
		}
	})
}

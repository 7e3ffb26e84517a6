package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reportgate/reportgate/core/store/storetest"
)

// TestQueriesUseTheirIndexes seeds tens of thousands of rows, analyses
// them, and checks that the planner serves each hot query from the index
// made for it, on both dialects.
func TestQueriesUseTheirIndexes(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds tens of thousands of rows")
	}
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			ctx := context.Background()
			s, err := Open(ctx, db.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			seedForPlans(t, s, 40000)
			now := time.Now()
			inbound := func(f InboundFilter) (string, []any) { return inboundQuery(f, ShapeFor(listFields).columns) }
			cases := []struct {
				name    string
				query   string
				args    []any
				indexes []string // any of them
			}{
				// A few thousand rows of one type may be fetched through the
				// guid index's (direction, type) prefix and sorted; any of
				// the three serves it without a scan.
				{"list by type", "", nil, []string{"packages_inbound_type", "packages_inbound_guid", "packages_inbound_gate"}},
				{"list by type and guid", "", nil, []string{"packages_inbound_guid"}},
				{"list by type and gate", "", nil, []string{"packages_inbound_gate"}},
				{"list by type, guid and gate", "", nil, []string{"packages_inbound_guid", "packages_inbound_gate"}},
				{"massreport by date", "", nil, []string{"packages_mailing_date"}},
				{"massreport by date and code", "", nil, []string{"packages_mailing_code"}},
				{"link lookup", byLinkQuery, []any{"l/77"}, []string{"packages_link_path_key", "sqlite_autoindex_packages_2"}},
				{"outbox", "", nil, []string{"packages_outbox"}},
			}
			cases[0].query, cases[0].args = inbound(InboundFilter{Direction: "fns", Type: "ao4"})
			cases[1].query, cases[1].args = inbound(InboundFilter{Direction: "fns", Type: "ao4", GUID: "g17"})
			cases[2].query, cases[2].args = inbound(InboundFilter{Direction: "fns", Type: "ao4", Gate: "gate7"})
			cases[3].query, cases[3].args = inbound(InboundFilter{Direction: "fns", Type: "ao4", GUID: "g17", Gate: "gate7"})
			cases[4].query, cases[4].args = s.mailingQuery(MailingFilter{Direction: "rosstat", Since: now.AddDate(0, 0, -1), Until: now}, ShapeFor(listFields).columns)
			cases[5].query, cases[5].args = s.mailingQuery(MailingFilter{Direction: "rosstat", Code: "12-34", Since: now.AddDate(0, 0, -30), Until: now}, ShapeFor(listFields).columns)
			cases[7].query, cases[7].args = outboxQuerySQLite, []any{"pfr", int64(0), 100}
			if s.dialect == Postgres {
				cases[7].query, cases[7].args = outboxQuery, []any{"pfr", "0", int64(0), 100}
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					plan := s.plan(t, c.query, c.args)
					used := false
					for _, idx := range c.indexes {
						used = used || strings.Contains(plan, idx)
					}
					if !used {
						t.Fatalf("the plan uses none of %v:\n%s", c.indexes, plan)
					}
					if strings.Contains(plan, "Seq Scan") || strings.Contains(plan, "SCAN packages") {
						t.Fatalf("the plan scans the whole table:\n%s", plan)
					}
				})
			}
		})
	}
}

// listFields are what a PFR list shows, the columns the plans select.
var listFields = []string{"uid", "guid", "regnum", "filename", "date_in", "link"}

// plan returns the query's plan as text.
func (s *Store) plan(t *testing.T, query string, args []any) string {
	t.Helper()
	if s.dialect == SQLite {
		rows, err := s.db.Queryx(s.rebind(`EXPLAIN QUERY PLAN `+query), args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var b strings.Builder
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			b.WriteString(detail + "\n")
		}
		return b.String()
	}
	var raw string
	if err := s.db.Get(&raw, s.rebind(`EXPLAIN (FORMAT JSON) `+query), args...); err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatal(err)
	}
	pretty, _ := json.MarshalIndent(doc, "", " ")
	return string(pretty)
}

// seededStores opens a store per backend seeded with 20,000 rows, once
// for a benchmark and all its runs.
func seededStores(b *testing.B) []*Store {
	b.Helper()
	var out []*Store
	for _, db := range storetest.Databases(b) {
		s, err := Open(context.Background(), db.URL)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		if _, err := s.Migrate(context.Background()); err != nil {
			b.Fatal(err)
		}
		seedForPlans(b, s, 20000)
		out = append(out, s)
	}
	return out
}

// seedForPlans loads n rows spread as in production: three directions,
// many subscribers per gate, a tenth of them deleted, mailings over a
// year, uploads mostly acknowledged. Then it refreshes the statistics.
func seedForPlans(t testing.TB, s *Store, n int) {
	t.Helper()
	ctx := context.Background()
	var seed string
	if s.dialect == Postgres {
		seed = fmt.Sprintf(`INSERT INTO packages (id, direction, kind, uid, type, guid, gate, code, filename,
			link, link_path, size, sha256, date_in, deleted_at, acked_at, attrs)
		SELECT gen_random_uuid(),
			(ARRAY['fns','pfr','rosstat'])[1 + i %% 3],
			(ARRAY['inbound','inbound','inbound','inbound','inbound','inbound','mailing','upload'])[1 + i %% 8],
			md5(i::text),
			(ARRAY['1c','iotchet','ao4','ao5','platform'])[1 + (i / 3) %% 5],
			'g' || (i %% 5000), 'gate' || (i %% 50), (i %% 90) || '-' || (i %% 70), 'f' || i || '.zip',
			'l/' || i, 'l/' || i, 100, md5(i::text),
			now() - (i || ' minutes')::interval,
			CASE WHEN i %% 10 = 0 THEN now() END,
			CASE WHEN i %% 50 <> 0 THEN now() END,
			jsonb_build_object('regnum', '087-' || i, 'doc_uid', md5(i::text))
		FROM generate_series(1, %d) AS i`, n)
	} else {
		seed = fmt.Sprintf(`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %d)
		INSERT INTO packages (id, direction, kind, uid, type, guid, gate, code, filename,
			link, link_path, size, sha256, date_in, deleted_at, acked_at, attrs)
		SELECT printf('%%08x-0000-4000-8000-%%012x', i, i),
			CASE i %% 3 WHEN 0 THEN 'fns' WHEN 1 THEN 'pfr' ELSE 'rosstat' END,
			CASE i %% 8 WHEN 6 THEN 'mailing' WHEN 7 THEN 'upload' ELSE 'inbound' END,
			printf('%%032x', i),
			CASE (i / 3) %% 5 WHEN 0 THEN '1c' WHEN 1 THEN 'iotchet' WHEN 2 THEN 'ao4' WHEN 3 THEN 'ao5' ELSE 'platform' END,
			'g' || (i %% 5000), 'gate' || (i %% 50), (i %% 90) || '-' || (i %% 70), 'f' || i || '.zip',
			'l/' || i, 'l/' || i, 100, printf('%%064x', i),
			%d - i * 60000000,
			CASE WHEN i %% 10 = 0 THEN %d END,
			CASE WHEN i %% 50 <> 0 THEN %d END,
			json_object('regnum', '087-' || i, 'doc_uid', printf('%%032x', i))
		FROM seq`, n, time.Now().UnixMicro(), time.Now().UnixMicro(), time.Now().UnixMicro())
	}
	if _, err := s.db.ExecContext(ctx, seed); err != nil {
		t.Fatalf("seed: %v", err)
	}
	if _, err := s.db.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatalf("analyze: %v", err)
	}
}

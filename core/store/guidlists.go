package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/lib/pq"
)

// maxBatchedGUIDListRows is how many rows a subscriber's list may have to
// be read in a batch; a longer one is read alone, streamed as before, so
// that a batch never holds a long list in memory.
const maxBatchedGUIDListRows = 256

// guidListRead is a subscriber's list (a filter with a guid) asked for on
// PostgreSQL and, once its batch has run, its rows, owned, oldest first;
// or readAlone when the list is to be read by a query of its own.
type guidListRead struct {
	ctx       context.Context
	filter    InboundFilter
	rows      []Row
	readAlone bool
	err       error
}

// guidListQueue queues the subscribers' lists of one shape: a batch
// selects one set of columns.
type guidListQueue struct {
	shape   RowShape
	maxRows int
	batchQueue[*guidListRead]
}

// eachByGUID is EachInbound for a filter with a guid on PostgreSQL. The
// lists that arrive while one is read wait together, and the next query
// reads them all, as GateVersion's lookups are read. Each list, and its
// query's round trip, had cost the machine about 60 µs of CPU at
// saturation, of which the query's share was most, where sixteen read
// together cost 13 µs each (hand benchmark on 20,000 rows); under the
// benchmark's lists by guid at c=32 the machine's CPU was what set the
// tail. Each list is read by a query that began after it arrived, so it
// sees every change committed before its request. A list alone, and a
// list longer than maxBatchedGUIDListRows, is read by its own streaming query.
func (s *Store) eachByGUID(ctx context.Context, f InboundFilter, shape RowShape, fn func(*Row) error) error {
	q := s.guidListQueue(shape)
	read := &guidListRead{ctx: ctx, filter: f}
	q.do(read, func(batch []*guidListRead) { s.readGUIDLists(q, batch) })
	if read.readAlone {
		query, args := inboundQuery(f, shape.columns)
		return s.each(ctx, query, args, shape, fn)
	}
	if read.err != nil {
		return read.err
	}
	for i := range read.rows {
		if err := fn(&read.rows[i]); err != nil {
			return err
		}
	}
	return nil
}

// guidListQueue returns the queue of a shape, made on first use. A host
// has one shape a direction's list route.
func (s *Store) guidListQueue(shape RowShape) *guidListQueue {
	if q, ok := s.guidLists.Load(shape.columns); ok {
		return q.(*guidListQueue)
	}
	q, _ := s.guidLists.LoadOrStore(shape.columns, &guidListQueue{shape: shape, maxRows: s.guidListRows})
	return q.(*guidListQueue)
}

// readGUIDLists reads a batch of lists in one query, setting each one's
// rows, readAlone or err. A read whose request is gone by now is left
// out; the query runs under no one request's cancellation.
func (s *Store) readGUIDLists(q *guidListQueue, batch []*guidListRead) {
	if len(batch) == 1 {
		batch[0].readAlone = true
		return
	}
	var live []*guidListRead
	var ordinals []int64
	var directions, types, guids, gates []string
	for _, r := range batch {
		if r.err = r.ctx.Err(); r.err != nil {
			continue
		}
		ordinals = append(ordinals, int64(len(live)))
		live = append(live, r)
		directions = append(directions, r.filter.Direction)
		types = append(types, r.filter.Type)
		guids = append(guids, r.filter.GUID)
		gates = append(gates, r.filter.Gate)
	}
	if len(live) == 0 {
		return
	}
	ctx := context.WithoutCancel(live[0].ctx)
	err := s.readGUIDListsTogether(ctx, q, live, ordinals, directions, types, guids, gates)
	if err != nil {
		for _, r := range live {
			r.rows, r.err = nil, err
		}
	}
}

func (s *Store) readGUIDListsTogether(ctx context.Context, q *guidListQueue, live []*guidListRead,
	ordinals []int64, directions, types, guids, gates []string) error {
	stmt, err := s.stmt(ctx, guidListsQuery(q.shape.columns))
	if err != nil {
		return fmt.Errorf("query packages: %w", err)
	}
	rows, err := stmt.QueryContext(ctx, pq.Array(ordinals), pq.Array(directions), pq.Array(types),
		pq.Array(guids), pq.Array(gates), q.maxRows+1)
	if err != nil {
		return fmt.Errorf("query packages: %w", err)
	}
	defer rows.Close()
	var (
		ordinal int64
		seq     int64
		row     Row
	)
	dests := append([]any{&ordinal, &seq}, q.shape.dests(&row)...)
	for rows.Next() {
		if err := rows.Scan(dests...); err != nil {
			return fmt.Errorf("read package: %w", err)
		}
		r := live[ordinal]
		if r.readAlone {
			continue
		}
		if len(r.rows) == q.maxRows {
			r.rows, r.readAlone = nil, true
			continue
		}
		r.rows = append(r.rows, row.owned())
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read packages: %w", err)
	}
	return nil
}

// guidListsQuery reads several subscribers' lists, each as inboundQuery
// reads it, by the same index, at most a given number of rows a list:
// the caller asks for one more than it keeps, which says a list is
// longer. An empty gate stands for none given. The arguments are the
// lists' ordinals, directions, types, guids and gates, as arrays, and
// the number of rows; a row comes with its list's ordinal and its seq.
func guidListsQuery(columns string) string {
	return `SELECT asked.ordinal, listed.* FROM
		unnest(?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[]) AS asked(ordinal, a_direction, a_type, a_guid, a_gate)
		CROSS JOIN LATERAL (SELECT seq AS listed_seq, ` + columns + ` FROM packages
			WHERE kind = 'inbound' AND deleted_at IS NULL
			AND direction = asked.a_direction AND type = asked.a_type AND guid = asked.a_guid
			AND (asked.a_gate = '' OR gate = asked.a_gate)
			ORDER BY seq LIMIT ?) AS listed
		ORDER BY asked.ordinal, listed.listed_seq`
}

// owned copies the row's lent bytes into one buffer of its own, so that
// it outlives the scan.
func (r *Row) owned() Row {
	n := 0
	for _, b := range r.str {
		n += len(b)
	}
	for _, b := range r.attrs {
		n += len(b)
	}
	buf := make([]byte, 0, n)
	own := func(b sql.RawBytes) sql.RawBytes {
		if b == nil {
			return nil
		}
		start := len(buf)
		buf = append(buf, b...)
		return buf[start:len(buf):len(buf)]
	}
	c := Row{size: r.size, dateIn: r.dateIn, sentAt: r.sentAt, attrIndex: r.attrIndex,
		attrs: make([]sql.RawBytes, len(r.attrs))}
	for i, b := range r.str {
		c.str[i] = own(b)
	}
	for i, b := range r.attrs {
		c.attrs[i] = own(b)
	}
	return c
}

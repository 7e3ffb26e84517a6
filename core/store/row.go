package store

import (
	"database/sql"
	"encoding/json"
	"strings"

	"github.com/reportgate/reportgate/sdk"
)

// Row is one row of a list, read for the fields a response shows and
// without copying: its string fields are the driver's own bytes, valid
// only until the callback that receives the row returns. A list of
// hundreds of packages allocated dozens of values per row when scanned
// whole into Package; a Row allocates none for what it lends.
//
// Row implements the Record and BytesRecord of sdk/enforce.
type Row struct {
	str    [numStrColumns]sql.RawBytes
	size   int64
	dateIn Time
	sentAt NullTime
	// attrs is str[attrsColumn] decoded, on the first attribute asked.
	attrs   map[string]string
	decoded bool
}

// The string columns a Row lends, and the attributes' JSON.
const (
	colID = iota
	colUID
	colType
	colGUID
	colGate
	colCode
	colFilename
	colLink
	colClientIP
	colSHA256
	attrsColumn
	numStrColumns
)

// stringColumn is the Row slot of a string field; ok is false for the
// size, the times and attributes.
func stringColumn(field string) (int, bool) {
	switch field {
	case sdk.FieldID:
		return colID, true
	case sdk.FieldUID:
		return colUID, true
	case sdk.FieldType:
		return colType, true
	case sdk.FieldGUID:
		return colGUID, true
	case sdk.FieldGate:
		return colGate, true
	case sdk.FieldCode:
		return colCode, true
	case sdk.FieldFilename:
		return colFilename, true
	case sdk.FieldLink:
		return colLink, true
	case sdk.FieldClientIP:
		return colClientIP, true
	case sdk.FieldSHA256:
		return colSHA256, true
	}
	return 0, false
}

// RowShape is what a list selects for a set of fields, and where each
// column is scanned to. Build it once per response with ShapeFor.
type RowShape struct {
	columns string
	dests   func(r *Row) []any
}

// ShapeFor selects the columns of the fields, each once; attributes share
// the attrs column. Field names are the columns' names.
func ShapeFor(fields []string) RowShape {
	var names []string
	var slots []func(r *Row) any
	seen := map[string]bool{}
	add := func(column string, slot func(r *Row) any) {
		if !seen[column] {
			seen[column] = true
			names = append(names, column)
			slots = append(slots, slot)
		}
	}
	for _, f := range fields {
		if i, ok := stringColumn(f); ok {
			add(f, func(r *Row) any { return &r.str[i] })
			continue
		}
		switch f {
		case sdk.FieldSize:
			add(f, func(r *Row) any { return &r.size })
		case sdk.FieldDateIn:
			add(f, func(r *Row) any { return &r.dateIn })
		case sdk.FieldSentAt:
			add(f, func(r *Row) any { return &r.sentAt })
		default:
			add("attrs", func(r *Row) any { return &r.str[attrsColumn] })
		}
	}
	if len(names) == 0 {
		add("id", func(r *Row) any { return &r.str[colID] })
	}
	return RowShape{
		columns: strings.Join(names, ", "),
		dests: func(r *Row) []any {
			out := make([]any, len(slots))
			for i, slot := range slots {
				out[i] = slot(r)
			}
			return out
		},
	}
}

// Value is a field by name: a string, an int64 for the size, a
// time.Time, or nil when unset or not selected.
func (r *Row) Value(field string) any {
	if i, ok := stringColumn(field); ok {
		if len(r.str[i]) == 0 {
			return nil
		}
		return string(r.str[i])
	}
	switch field {
	case sdk.FieldSize:
		return r.size
	case sdk.FieldDateIn:
		return r.dateIn.Time
	case sdk.FieldSentAt:
		if !r.sentAt.Valid {
			return nil
		}
		return r.sentAt.Time.Time
	}
	if !r.decoded {
		r.decoded = true
		r.attrs = nil
		if len(r.str[attrsColumn]) > 0 {
			// A row whose attributes do not decode shows them unset; the
			// host wrote them, so this does not happen.
			json.Unmarshal(r.str[attrsColumn], &r.attrs)
		}
	}
	if v, ok := r.attrs[field]; ok && v != "" {
		return v
	}
	return nil
}

// Bytes lends a string field's bytes; ok is false for other fields.
func (r *Row) Bytes(field string) ([]byte, bool) {
	if i, ok := stringColumn(field); ok {
		return r.str[i], true
	}
	return nil, false
}

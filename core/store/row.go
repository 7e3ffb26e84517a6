package store

import (
	"database/sql"
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
	// attrs are the attributes the shape shows, each its own column,
	// taken out of the attributes' JSON by the database: decoding the
	// JSON here cost a map and its strings a row, a fifth of the host's
	// CPU under lists of a PFR or Rosstat gate. attrIndex is the shape's
	// position of each attribute in attrs.
	attrs     []sql.RawBytes
	attrIndex map[string]int
}

// The string columns a Row lends.
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

// ShapeFor selects the columns of the fields, each once. Field names are
// the columns' names; any other field is an attribute, selected out of
// attrs with ->>, which PostgreSQL's JSONB and SQLite's JSON text both
// answer with the attribute's text, or NULL where it is missing.
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
	attrIndex := map[string]int{}
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
			if _, ok := attrIndex[f]; ok {
				continue
			}
			i := len(attrIndex)
			attrIndex[f] = i
			add(attrColumn(f), func(r *Row) any { return &r.attrs[i] })
		}
	}
	if len(names) == 0 {
		add("id", func(r *Row) any { return &r.str[colID] })
	}
	return RowShape{
		columns: strings.Join(names, ", "),
		dests: func(r *Row) []any {
			r.attrs = make([]sql.RawBytes, len(attrIndex))
			r.attrIndex = attrIndex
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
	if i, ok := r.attrIndex[field]; ok && len(r.attrs[i]) > 0 {
		return string(r.attrs[i])
	}
	return nil
}

// Bytes lends a string field's or a shown attribute's bytes, empty where
// it is unset; ok is false for other fields.
func (r *Row) Bytes(field string) ([]byte, bool) {
	if i, ok := stringColumn(field); ok {
		return r.str[i], true
	}
	if i, ok := r.attrIndex[field]; ok {
		return r.attrs[i], true
	}
	return nil, false
}

// attrColumn selects one attribute's text. Manifests allow only
// [a-z][a-z0-9_-]* as attribute names, but the store does not rely on a
// check made elsewhere: the name is quoted as an SQL string, and one
// starting with $, which SQLite would read as a JSON path rather than a
// key, selects nothing.
func attrColumn(name string) string {
	if strings.HasPrefix(name, "$") {
		return "NULL"
	}
	return "attrs ->> '" + strings.ReplaceAll(name, "'", "''") + "'"
}

package store

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"github.com/reportgate/reportgate/sdk"
)

// Kind is which way a package travels.
type Kind string

const (
	// KindUpload is a subscriber's package towards the regulator.
	KindUpload Kind = "upload"
	// KindInbound is a package delivered to one subscriber.
	KindInbound Kind = "inbound"
	// KindMailing is a mass mailing.
	KindMailing Kind = "mailing"
)

// Package is one stored package. Optional columns are empty strings or
// nil times when unset.
type Package struct {
	Seq       int64      `db:"seq"`
	ID        string     `db:"id"`
	Direction string     `db:"direction"`
	Kind      Kind       `db:"kind"`
	UID       string     `db:"uid"`
	Type      NullString `db:"type"`
	GUID      NullString `db:"guid"`
	Gate      NullString `db:"gate"`
	Code      NullString `db:"code"`
	Filename  string     `db:"filename"`
	Link      NullString `db:"link"`
	LinkPath  NullString `db:"link_path"`
	Size      int64      `db:"size"`
	SHA256    string     `db:"sha256"`
	ClientIP  NullString `db:"client_ip"`
	SentAt    NullTime   `db:"sent_at"`
	DateIn    Time       `db:"date_in"`
	DeletedAt NullTime   `db:"deleted_at"`
	AckedAt   NullTime   `db:"acked_at"`
	PurgedAt  NullTime   `db:"purged_at"`
	Attrs     Attrs      `db:"attrs"`
}

// packageColumns is every column of packages, in Package's order.
const packageColumns = `seq, id, direction, kind, uid, type, guid, gate, code, filename, link, link_path,
	size, sha256, client_ip, sent_at, date_in, deleted_at, acked_at, purged_at, attrs`

// NullString is a string column that may be NULL; NULL reads as "".
type NullString string

// Scan reads a string or NULL.
func (n *NullString) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*n = ""
	case string:
		*n = NullString(v)
	case []byte:
		*n = NullString(v)
	default:
		return fmt.Errorf("scan %T into a string", src)
	}
	return nil
}

// Value writes "" as NULL.
func (n NullString) Value() (driver.Value, error) {
	if n == "" {
		return nil, nil
	}
	return string(n), nil
}

// Time is a time column. PostgreSQL hands back a time.Time, SQLite the
// integer microseconds the store wrote.
type Time struct{ time.Time }

// Scan reads either representation.
func (t *Time) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		t.Time = v.UTC()
	case int64:
		t.Time = time.UnixMicro(v).UTC()
	default:
		return fmt.Errorf("scan %T into a time", src)
	}
	return nil
}

// NullTime is a time column that may be NULL.
type NullTime struct {
	Time
	Valid bool
}

// Scan reads a time or NULL.
func (t *NullTime) Scan(src any) error {
	if src == nil {
		*t = NullTime{}
		return nil
	}
	t.Valid = true
	return t.Time.Scan(src)
}

// Ptr returns the time, or nil when NULL.
func (t NullTime) Ptr() *time.Time {
	if !t.Valid {
		return nil
	}
	return &t.Time.Time
}

// Attrs are a direction's own fields, kept as a JSON object.
type Attrs map[string]string

// Scan reads the JSON object.
func (a *Attrs) Scan(src any) error {
	var raw []byte
	switch v := src.(type) {
	case nil:
		*a = nil
		return nil
	case string:
		raw = []byte(v)
	case []byte:
		raw = v
	default:
		return fmt.Errorf("scan %T into attributes", src)
	}
	m := Attrs{}
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("decode attributes: %w", err)
	}
	*a = m
	return nil
}

// Value writes the JSON object; nil is {}.
func (a Attrs) Value() (driver.Value, error) {
	if a == nil {
		return "{}", nil
	}
	b, err := json.Marshal(map[string]string(a))
	if err != nil {
		return nil, fmt.Errorf("encode attributes: %w", err)
	}
	return string(b), nil
}

// Value is a field by its manifest name, as sdk/enforce reads a package:
// a string, an int64 for the size, a time.Time, or nil when unset.
func (p *Package) Value(field string) any {
	var s string
	switch field {
	case sdk.FieldSize:
		return p.Size
	case sdk.FieldDateIn:
		return p.DateIn.Time
	case sdk.FieldSentAt:
		if !p.SentAt.Valid {
			return nil
		}
		return p.SentAt.Time.Time
	case sdk.FieldID:
		s = p.ID
	case sdk.FieldUID:
		s = p.UID
	case sdk.FieldType:
		s = string(p.Type)
	case sdk.FieldGUID:
		s = string(p.GUID)
	case sdk.FieldGate:
		s = string(p.Gate)
	case sdk.FieldCode:
		s = string(p.Code)
	case sdk.FieldFilename:
		s = p.Filename
	case sdk.FieldLink:
		s = string(p.Link)
	case sdk.FieldClientIP:
		s = string(p.ClientIP)
	case sdk.FieldSHA256:
		s = p.SHA256
	default:
		s = p.Attrs[field]
	}
	if s == "" {
		return nil
	}
	return s
}

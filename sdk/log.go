package sdk

import (
	"io"
	"log/slog"
	"os"
	"strings"
)

// NewLogger returns a logger for plugin code. Its lines go to standard
// error in the JSON shape go-plugin parses, so the host relays each into
// its own log, under the direction's name and at its level.
func NewLogger() *slog.Logger {
	return newLogger(os.Stderr)
}

// hclogTime is the timestamp layout go-plugin parses; a line with any
// other layout would be relayed as unparsed debug text.
const hclogTime = "2006-01-02T15:04:05.000000Z07:00"

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.TimeKey:
				return slog.String("@timestamp", a.Value.Time().Format(hclogTime))
			case slog.LevelKey:
				return slog.String("@level", strings.ToLower(a.Value.String()))
			case slog.MessageKey:
				return slog.String("@message", a.Value.String())
			}
			return a
		},
	}))
}

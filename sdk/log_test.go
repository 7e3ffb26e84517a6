package sdk

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// TestLoggerWritesWhatGoPluginParses checks the shape of a log line
// against what go-plugin's host side reads: @message, @level and an
// @timestamp in its one accepted layout.
func TestLoggerWritesWhatGoPluginParses(t *testing.T) {
	var buf bytes.Buffer
	newLogger(&buf).Warn("container refused", "filename", "x.zip")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("not JSON: %s", buf.Bytes())
	}
	if line["@message"] != "container refused" || line["@level"] != "warn" || line["filename"] != "x.zip" {
		t.Fatalf("line %v", line)
	}
	stamp, _ := line["@timestamp"].(string)
	if _, err := time.Parse(hclogTime, stamp); err != nil {
		t.Fatalf("timestamp %q: %v", stamp, err)
	}
}

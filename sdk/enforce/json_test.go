package enforce

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzAppendJSONString checks the hand-written string encoder against
// encoding/json: its output is always valid JSON and decodes to the same
// string encoding/json would.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{
		"", "plain", `quote " and \ backslash`, "new\nline\ttab\rret", "\x00\x01\x1f\x7f",
		"Ответ \"ПФР\".zip", "<a&b>", "\xff\xfe broken", "emoji 😀", "\u2028\u2029", "half \xe2\x82",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendJSONString([]byte("x"), s)
		if got[0] != 'x' || !json.Valid(got[1:]) {
			t.Fatalf("%q encodes to invalid JSON %s", s, got)
		}
		var back string
		if err := json.Unmarshal(got[1:], &back); err != nil {
			t.Fatal(err)
		}
		want := strings.ToValidUTF8(s, "\ufffd")
		if !utf8.ValidString(s) {
			// encoding/json replaces each invalid byte; so does the encoder.
			ref, _ := json.Marshal(s)
			json.Unmarshal(ref, &want)
		}
		if back != want {
			t.Fatalf("%q decodes back to %q, want %q", s, back, want)
		}
	})
}

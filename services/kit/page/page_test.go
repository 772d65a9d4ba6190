package page

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSize(t *testing.T) {
	tests := []struct {
		in   int32
		want int
	}{
		{0, 50},
		{-3, 50},
		{1, 1},
		{50, 50},
		{500, 500},
		{501, 500},
		{1 << 30, 500},
	}
	for _, tt := range tests {
		if got := Size(tt.in); got != tt.want {
			t.Errorf("Size(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

type cursor struct {
	After time.Time `json:"after"`
	ID    string    `json:"id"`
}

func TestRoundTrip(t *testing.T) {
	in := cursor{After: time.Date(2025, 6, 30, 10, 0, 0, 0, time.UTC), ID: "0199-a"}
	tok := Encode(in)
	for _, c := range tok {
		if c == '+' || c == '/' || c == '=' {
			t.Fatalf("token %q is not URL-safe", tok)
		}
	}
	var out cursor
	if err := Decode(tok, &out); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestDecodeEmptyIsFirstPage(t *testing.T) {
	out := cursor{ID: "untouched"}
	if err := Decode("", &out); err != nil {
		t.Fatalf("Decode(\"\"): %v", err)
	}
	if out.ID != "untouched" {
		t.Errorf("Decode(\"\") changed the cursor to %+v", out)
	}
}

func TestDecodeBad(t *testing.T) {
	tests := []struct {
		name, tok string
	}{
		{"not base64", "!!!"},
		{"not json", Encode("x")[:1] + "@@"},
		{"wrong type", Encode([]int{1, 2})},
		{"unknown field", Encode(map[string]string{"offset": "5"})},
		{"trailing data", "eyJpZCI6IngifXt9"}, // {"id":"x"}{}
		{"too long", string(make([]byte, 5000))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out cursor
			err := Decode(tt.tok, &out)
			var bad *InvalidTokenError
			if !errors.As(err, &bad) {
				t.Fatalf("Decode(%q) error = %v, want *InvalidTokenError", tt.tok, err)
			}
		})
	}
}

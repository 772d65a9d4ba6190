package postgres

import (
	"testing"

	"github.com/google/uuid"
)

// TestItemID: the id of an item is the same every time for one (event, unit, user), differs
// between recipients, is a valid version 8 UUID, and starts with the time of a UUIDv7 event.
func TestItemID(t *testing.T) {
	event := uuid.Must(uuid.NewV7()).String()
	unit, user := uuid.NewString(), uuid.NewString()
	a := itemID(event, unit, "")
	if a != itemID(event, unit, "") {
		t.Error("itemID differs between two calls")
	}
	if b, c := itemID(event, "", unit), itemID(event, "", user); a == b || b == c {
		t.Errorf("itemID the same for different recipients: %s %s %s", a, b, c)
	}
	id, err := uuid.Parse(a)
	if err != nil || id.Version() != 8 || id.Variant() != uuid.RFC4122 {
		t.Fatalf("itemID %s: version %d, variant %v, %v; want a version 8 UUID", a, id.Version(), id.Variant(), err)
	}
	if a[:13] != event[:13] {
		t.Errorf("itemID %s does not start with the time of event %s", a, event)
	}
	if _, err := uuid.Parse(itemID("escalation:occurrence:42", "", user)); err != nil {
		t.Errorf("itemID of an event id that is no UUID: %v", err)
	}
}

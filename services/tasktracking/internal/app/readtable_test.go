package app

import (
	"errors"
	"strings"
	"testing"

	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// TestReadTableNamesTheLineThatIsNotUTF8: a CSV saved in a legacy encoding is refused on
// the content with the line of its first bad byte, so the person can find it.
func TestReadTableNamesTheLineThatIsNotUTF8(t *testing.T) {
	_, err := readTable([]byte("TT,Nội dung\n1,Xây dựng\n2,N\xf4i dung\n"), FormatCSV)
	var ve tracking.ValidationError
	if !errors.As(err, &ve) || ve.Field != fieldContent {
		t.Fatalf("readTable = %v, want a ValidationError on %s", err, fieldContent)
	}
	if !strings.Contains(ve.Reason, "UTF-8") || !strings.Contains(ve.Reason, "dòng 3") {
		t.Errorf("reason %q, want it to say UTF-8 and line 3", ve.Reason)
	}
}

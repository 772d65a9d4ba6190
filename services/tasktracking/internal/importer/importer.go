// Package importer reads the task table of a plan's appendix (phụ lục) from CSV or XLSX and
// turns it into tasks ready for the task-tracking domain: Vietnamese deadline phrases are
// read into timings, unit names are matched to the directory, and every row and every
// problem is accounted for.
//
// The package is pure: it touches no database and no network. A caller (the ImportTasks
// use case) runs ParseAppendix, shows the Result as a dry run, and commits the tasks all or
// nothing only when Result.Problems is empty.
package importer

import (
	"strings"
	"unicode"

	"github.com/parindex/platform/services/kit/vntext"
)

// Problem is one thing that keeps a row from importing, told in Vietnamese so the
// secretariat can fix the file. Problems never stop the parse: every row is read and every
// problem reported at once.
type Problem struct {
	// Row is the 1-based row number as a spreadsheet shows it; 0 when the problem is not
	// tied to a row (a matcher used on its own).
	Row int
	// Column is the header of the column as written in the file; empty for a whole row.
	Column string
	// Text is the offending value as written (a unit name, a deadline phrase).
	Text string
	// Message says what is wrong, in Vietnamese.
	Message string
	// Suggestions are directory units the name may have meant, best first, at most three.
	Suggestions []Suggestion
}

// Suggestion is a directory unit offered in place of a name that matched nothing.
type Suggestion struct {
	// UnitID is the directory id of the unit.
	UnitID string
	// Name is the unit's full name.
	Name string
	// Score is the similarity of the written name to the unit's names, 0–1.
	Score float64
}

// collapse returns s in NFC with runs of white space (including the line breaks a PDF
// extraction or a wrapped cell leaves) collapsed to one space and trimmed: the form in which
// text is kept verbatim.
func collapse(s string) string {
	return strings.Join(strings.Fields(vntext.NFC(s)), " ")
}

// words returns the matching key of s: vntext.Fold, then every character that is not a
// letter or a digit read as a space, so "Chỉ đạo, điều hành" and "CHỈ ĐẠO ĐIỀU HÀNH" give
// the same words.
func words(s string) string {
	f := vntext.Fold(s)
	return strings.Join(strings.FieldsFunc(f, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), " ")
}

// containsWords reports whether the word sequence phrase occurs in key on word boundaries.
// Both are in the form words returns.
func containsWords(key, phrase string) bool {
	return strings.Contains(" "+key+" ", " "+phrase+" ")
}

// capitalise upper-cases the first letter of a message built from an error text.
func capitalise(s string) string {
	for i, r := range s {
		return string(unicode.ToUpper(r)) + s[i+len(string(r)):]
	}
	return s
}

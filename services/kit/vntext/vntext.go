// Package vntext normalises Vietnamese text for storage, search and sorting.
//
// Vietnamese text reaches the platform in several byte forms for the same words: composed
// (NFC) or decomposed (NFD, e.g. from macOS), with the tone mark on either vowel of a
// diphthong ("Ủy" and "Uỷ" are both in official use), in any case, with stray spaces.
// NFC is the storage form; Fold is the matching key; Compare sorts the way a Vietnamese
// reader expects.
package vntext

import (
	"slices"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
)

// NFC returns s in Unicode normalisation form C, the form text is stored and compared in.
func NFC(s string) string {
	return norm.NFC.String(s)
}

// Fold returns the search key of s: diacritics removed, đ/Đ read as d, lower case, runs of
// white space collapsed to one space and trimmed. "Sở  Nội vụ", "SO NOI VU" and
// "sở nội vụ" fold to the same key, and so do "Ủy ban" and "Uỷ ban", whose tone marks sit
// on different vowels. Use it for matching and search columns, never for display.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	// pendingSpace delays writing a separator until a non-space follows, which both
	// collapses runs and trims the end.
	pendingSpace := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			// Combining marks: the five tones and the breve, circumflex and horn.
			continue
		case unicode.IsSpace(r):
			pendingSpace = b.Len() > 0
			continue
		case r == 'đ' || r == 'Đ':
			// đ is a letter of its own, not d with a combining mark, so NFD keeps it.
			r = 'd'
		default:
			r = unicode.ToLower(r)
		}
		if pendingSpace {
			b.WriteByte(' ')
			pendingSpace = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Collator orders strings by Vietnamese collation rules (a < ă < â < b, d < đ, tones
// ordered after the base letter). A Collator is safe for concurrent use; reuse one when
// sorting many strings.
type Collator struct {
	// collate.Collator keeps scratch buffers between calls, hence the lock.
	mu sync.Mutex
	c  *collate.Collator
}

// NewCollator returns a Collator for Vietnamese.
func NewCollator() *Collator {
	return &Collator{c: collate.New(language.Vietnamese)}
}

// Compare returns -1, 0 or +1 as a sorts before, equal to or after b. Inputs are compared
// in NFC so that decomposed input sorts with its composed twin.
func (c *Collator) Compare(a, b string) int {
	a, b = NFC(a), NFC(b)
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.c.CompareString(a, b)
}

// Sort sorts ss in place in Vietnamese order.
func (c *Collator) Sort(ss []string) {
	slices.SortStableFunc(ss, c.Compare)
}

// Compare orders a and b for sorting Vietnamese names. It builds a collator on every call;
// sort long lists with a Collator (or Sort) instead.
func Compare(a, b string) int {
	return NewCollator().Compare(a, b)
}

// Sort sorts ss in place in Vietnamese order.
func Sort(ss []string) {
	NewCollator().Sort(ss)
}

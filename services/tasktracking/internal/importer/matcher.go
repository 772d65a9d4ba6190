package importer

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/parindex/platform/services/kit/vntext"
)

// Unit is a directory unit the matcher can name.
type Unit struct {
	// ID is the directory id, returned in matches.
	ID string
	// Code is the directory code (e.g. "TQ-SNV"); a cell may name a unit by it.
	Code string
	// Name is the full name, e.g. "Sở Thông tin và Truyền thông".
	Name string
	// ShortName is the usual short form, e.g. "STTTT" or "VP UBND tỉnh"; may be empty.
	ShortName string
	// Kind and Level are the directory's kind and level codes ("department", "district",
	// "commune", "district_office"; "province", …), which Scope expands collectives by.
	Kind, Level string
	// ParentID is the id of the parent unit; empty for a root (a province).
	ParentID string
}

// CollectiveKind names a group of units a plan assigns work to without listing them
// ("Các sở, ban, ngành", "UBND cấp huyện"). A collective is not an error: the caller decides
// whether to expand it to directory units or keep it as text.
type CollectiveKind string

// Collective kinds. The values are stable so a caller may store or switch on them.
const (
	// CollectiveNone marks a match that is a directory unit.
	CollectiveNone CollectiveKind = ""
	// CollectiveDepartments is "các sở, ban, ngành": the provincial departments.
	CollectiveDepartments CollectiveKind = "departments"
	// CollectiveDistricts is "UBND cấp huyện" (also "HĐND, UBND cấp huyện",
	// "UBND huyện, thành phố"): the district-level committees.
	CollectiveDistricts CollectiveKind = "districts"
	// CollectiveCommunes is "UBND cấp xã": the commune-level committees.
	CollectiveCommunes CollectiveKind = "communes"
	// CollectiveAllLevels is "UBND các cấp": committees at every level.
	CollectiveAllLevels CollectiveKind = "all_levels"
	// CollectiveDistrictOffices is a specialised office named without its district
	// ("Phòng Tư pháp"): that office in every district.
	CollectiveDistrictOffices CollectiveKind = "district_offices"
	// CollectiveOfficials is a post rather than a unit ("Công chức Tư pháp-Hộ tịch"): the
	// officials holding it, usually at commune level.
	CollectiveOfficials CollectiveKind = "officials"
	// CollectivePublicServiceUnits is "các đơn vị sự nghiệp công lập".
	CollectivePublicServiceUnits CollectiveKind = "public_service_units"
	// CollectiveRelated is "các cơ quan (, đơn vị) (có) liên quan": whoever is concerned.
	CollectiveRelated CollectiveKind = "related"
	// CollectiveDesignated is a unit named by its role ("Cơ quan được giao nhiệm vụ chủ trì
	// soạn thảo văn bản QPPL"): whoever is assigned that role case by case.
	CollectiveDesignated CollectiveKind = "designated"
)

// Match is one name in a cell and what it refers to: a directory unit (UnitID set) or a
// collective (Collective set).
type Match struct {
	// Text is the name as written (NFC, white space collapsed); for an elided name such as
	// "cấp xã" in "UBND cấp huyện, cấp xã" it is completed to "UBND cấp xã".
	Text string
	// UnitID is the directory id when the name is a unit.
	UnitID string
	// UnitName is the directory's full name of that unit, for showing the reading.
	UnitName string
	// Collective is the kind of group when the name is a collective phrase.
	Collective CollectiveKind
}

// IsCollective reports whether the match is a collective phrase rather than a unit.
func (m Match) IsCollective() bool { return m.Collective != CollectiveNone }

// Matcher matches unit names written in a plan to directory units. It is immutable once
// built and safe for concurrent use.
type Matcher struct {
	units []Unit
	// names indexes the keys of full names and the aliases derived from them; shortNames
	// the keys of short names and codes. They are separate because a collective phrase
	// outranks a short name ("Phòng Tư pháp" is every district's office, even when one
	// district's office has that short name) but not a full name.
	names, shortNames map[string][]int
	// grams holds the trigram sets of each unit's keys, for suggestions.
	grams [][]map[string]struct{}
}

// maxSuggestions bounds the alternatives offered for a name that matched nothing.
const maxSuggestions = 3

// minSuggestionScore keeps unrelated units out of the suggestions: below it the trigram
// overlap is what any two Vietnamese unit names share ("sở", "tỉnh").
const minSuggestionScore = 0.2

// maxJoin bounds how many comma-separated pieces may form one name ("Các sở, ban, ngành"
// is three), which keeps the greedy join cheap.
const maxJoin = 4

// NewMatcher indexes units by their full name, short name and code, and by forms derived
// from the full name: the part in parentheses ("Tỉnh đoàn Tuyên Quang (Đoàn Thanh niên
// Cộng sản Hồ Chí Minh tỉnh)"), and the name without the province after "tỉnh"
// ("Đài Phát thanh và Truyền hình tỉnh Tuyên Quang" is written "… tỉnh" in the province's
// own documents). Keys are read with the abbreviations of administrative writing expanded
// (UBND, HĐND, VP, TT&TT, KH&ĐT, KH&CN, CCHC, …).
func NewMatcher(units []Unit) *Matcher {
	m := &Matcher{
		units:      slices.Clone(units),
		names:      map[string][]int{},
		shortNames: map[string][]int{},
		grams:      make([][]map[string]struct{}, len(units)),
	}
	add := func(index map[string][]int, key string, i int) {
		if key == "" || slices.Contains(index[key], i) {
			return
		}
		index[key] = append(index[key], i)
		m.grams[i] = append(m.grams[i], trigrams(key))
	}
	for i, u := range m.units {
		for _, n := range nameForms(u.Name) {
			add(m.names, n, i)
		}
		add(m.shortNames, unitKey(u.ShortName), i)
		add(m.shortNames, unitKey(u.Code), i)
	}
	return m
}

// parenRe finds the parenthesised part of a name.
var parenRe = regexp.MustCompile(`\(([^)]*)\)`)

// nameForms returns the keys a full name is known by.
func nameForms(name string) []string {
	var forms []string
	bare := strings.TrimSpace(parenRe.ReplaceAllString(name, " "))
	for _, n := range []string{name, bare} {
		forms = append(forms, unitKey(n))
	}
	for _, p := range parenRe.FindAllStringSubmatch(name, -1) {
		forms = append(forms, unitKey(p[1]))
	}
	for _, f := range slices.Clone(forms) {
		if s := withoutProvince(f); s != "" {
			forms = append(forms, s)
		}
	}
	return forms
}

// withoutProvince drops the place name after a final "tinh" ("... tinh tuyen quang" →
// "... tinh"), or returns "" when the key has none. Up to three words count as the place.
func withoutProvince(key string) string {
	toks := strings.Fields(key)
	for k := len(toks) - 2; k >= 1 && len(toks)-1-k <= 3; k-- {
		if toks[k] == "tinh" {
			return strings.Join(toks[:k+1], " ")
		}
	}
	return ""
}

// compoundAbbrevRe finds abbreviations written with '&' or '-', which the word split would
// break apart; they are expanded before it. Keys are folded (đ → d).
var compoundAbbrevRe = regexp.MustCompile(`(?:^|[^\pL\pN])(tt&tt|kh&dt|kh&cn|tn&mt|nn&ptnt|ldtb&xh|vhtt&dl|vh, ?tt&dl|gd&dt|pt-th|ct-xh)(?:$|[^\pL\pN])`)

// compoundAbbrev expands the abbreviations compoundAbbrevRe finds.
func compoundAbbrev(a string) string {
	switch a {
	case "tt&tt":
		return "thong tin va truyen thong"
	case "kh&dt":
		return "ke hoach va dau tu"
	case "kh&cn":
		return "khoa hoc va cong nghe"
	case "tn&mt":
		return "tai nguyen va moi truong"
	case "nn&ptnt":
		return "nong nghiep va phat trien nong thon"
	case "ldtb&xh":
		return "lao dong thuong binh va xa hoi"
	case "vhtt&dl", "vh,tt&dl", "vh, tt&dl":
		return "van hoa the thao va du lich"
	case "gd&dt":
		return "giao duc va dao tao"
	case "pt-th":
		return "phat thanh va truyen hinh"
	case "ct-xh":
		return "chinh tri xa hoi"
	}
	return a
}

// wordAbbrev expands a one-word abbreviation, or returns the word unchanged.
func wordAbbrev(w string) string {
	switch w {
	case "ubnd":
		return "uy ban nhan dan"
	case "hdnd":
		return "hoi dong nhan dan"
	case "vp":
		return "van phong"
	case "cchc":
		return "cai cach hanh chinh"
	case "tthc":
		return "thu tuc hanh chinh"
	case "qppl":
		return "quy pham phap luat"
	case "tncs":
		return "thanh nien cong san"
	case "ubmttq":
		return "uy ban mat tran to quoc"
	case "mttq":
		return "mat tran to quoc"
	case "tp":
		return "thanh pho"
	}
	return w
}

// spacedAmpRe joins "TT & TT" into "tt&tt" so both spellings expand alike.
var spacedAmpRe = regexp.MustCompile(`\s*&\s*`)

// unitKey returns the key a unit name is matched by: folded, abbreviations expanded,
// punctuation read as spaces, a stray "&" read as "và".
func unitKey(s string) string {
	f := spacedAmpRe.ReplaceAllString(vntext.Fold(s), "&")
	// Twice, because a match consumes the delimiter after it, which hides an abbreviation
	// right behind ("tt&tt,kh&dt") from the first pass.
	for range 2 {
		f = compoundAbbrevRe.ReplaceAllStringFunc(f, func(m string) string {
			// The match includes the delimiters around the abbreviation; keep them.
			sub := compoundAbbrevRe.FindStringSubmatchIndex(m)
			return m[:sub[2]] + " " + compoundAbbrev(m[sub[2]:sub[3]]) + " " + m[sub[3]:]
		})
	}
	f = strings.ReplaceAll(f, "&", " va ")
	toks := strings.FieldsFunc(f, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for i, t := range toks {
		toks[i] = wordAbbrev(t)
	}
	return strings.Join(toks, " ")
}

// Collective phrases, matched against unitKey forms (abbreviations already expanded).
var (
	committees     = `(?:cac )?(?:(?:hoi dong nhan dan|uy ban nhan dan) )+(?:cac )?`
	departmentsRe  = regexp.MustCompile(`^(?:cac )?so(?: ban)?(?: nganh)(?: cap tinh| tinh| thuoc uy ban nhan dan tinh)?$|^(?:cac )?co quan chuyen mon(?: thuoc)?(?: uy ban nhan dan)? tinh$`)
	districtsRe    = regexp.MustCompile(`^` + committees + `(?:cap huyen|huyen(?: thi xa)? thanh pho|cac huyen(?: thi xa)? thanh pho)$`)
	communesRe     = regexp.MustCompile(`^` + committees + `(?:cap xa|xa phuong thi tran|cac xa phuong thi tran)$`)
	allLevelsRe    = regexp.MustCompile(`^` + `cac cap$|^` + committees + `cac cap$`)
	officesRe      = regexp.MustCompile(`^(?:cac )?phong (?:[a-z ]+)$`)
	officialsRe    = regexp.MustCompile(`^(?:cac )?(?:cong chuc|can bo)(?: [a-z0-9 ]+)?$`)
	publicUnitsRe  = regexp.MustCompile(`^(?:cac )?don vi su nghiep(?: cong lap)?(?: [a-z ]+)?$`)
	relatedRe      = regexp.MustCompile(`^(?:va )?(?:cac )?(?:(?:co quan|don vi|to chuc|dia phuong) )+(?:co )?lien quan$`)
	designatedRe   = regexp.MustCompile(`^(?:cac )?(?:co quan|don vi) (?:duoc giao|chu tri|duoc phan cong) .+$`)
	districtWordRe = regexp.MustCompile(`(?:^| )(?:huyen|quan|thi xa|thanh pho)(?: |$)`)
)

// collective returns the kind of collective phrase key is, or CollectiveNone.
func collective(key string) CollectiveKind {
	switch {
	case departmentsRe.MatchString(key):
		return CollectiveDepartments
	case districtsRe.MatchString(key):
		return CollectiveDistricts
	case communesRe.MatchString(key):
		return CollectiveCommunes
	case allLevelsRe.MatchString(key):
		return CollectiveAllLevels
	case relatedRe.MatchString(key):
		return CollectiveRelated
	case publicUnitsRe.MatchString(key):
		return CollectivePublicServiceUnits
	case designatedRe.MatchString(key):
		return CollectiveDesignated
	case officialsRe.MatchString(key):
		return CollectiveOfficials
	case officesRe.MatchString(key):
		// "Phòng Tư pháp" and "các phòng chuyên môn cấp huyện" are every district's office;
		// "Phòng Tư pháp huyện Sơn Dương" is one unit, which a missing directory entry must
		// not turn into a collective.
		if !districtWordRe.MatchString(strings.TrimSuffix(key, " cap huyen")) {
			return CollectiveDistrictOffices
		}
	}
	return CollectiveNone
}

// piece is one name of a cell, with the separator that ended it.
type piece struct {
	text string
	// hard is true when a ';' or a sentence end follows: names are never joined across it.
	// A ',' or a line break is soft: "Các sở, ban, ngành" is one name, and so is a name
	// wrapped onto two lines of a cell.
	hard bool
	// glue is what stood between this piece and the next when they were split: ", " after a
	// comma, " " after a line break. A joined name is shown with it.
	glue string
}

// sentenceEndRe finds a full stop that ends a name inside a line ("Báo Tuyên Quang. Các
// sở, ban, ngành"): a lower-case letter, '.', space, an upper-case letter. Abbreviations
// such as "TP. Tuyên Quang" end in capitals and are left alone.
var sentenceEndRe = regexp.MustCompile(`(\p{Ll})\.\s+(\p{Lu})`)

// split breaks a cell into names at ';', ',', line breaks, sentence ends and "- " bullets.
func split(cell string) []piece {
	var out []piece
	cell = vntext.NFC(strings.ReplaceAll(cell, "\r", "\n"))
	cell = sentenceEndRe.ReplaceAllString(cell, "$1;$2")
	for seg := range strings.SplitSeq(cell, ";") {
		lines := strings.Split(seg, "\n")
		for li, line := range lines {
			line = strings.TrimSpace(line)
			// A cell written as a bullet list and flattened to one line ("- Sở Tài chính; -
			// Sở Nội vụ") still separates with " - "; a hyphen inside a name ("Tư
			// pháp-Hộ tịch") has no spaces around it.
			if strings.HasPrefix(line, "-") || strings.HasPrefix(line, "•") {
				line = strings.ReplaceAll(line, " - ", ",")
			}
			parts := strings.Split(line, ",")
			for pi, p := range parts {
				p = strings.TrimLeft(strings.TrimSpace(p), "-•+* ")
				p = collapse(strings.TrimRight(p, ".:·"))
				if p == "" {
					continue
				}
				pc := piece{text: p, hard: li == len(lines)-1 && pi == len(parts)-1, glue: ", "}
				if pi == len(parts)-1 {
					pc.glue = " "
				}
				out = append(out, pc)
			}
		}
	}
	return out
}

// Match reads the unit names of a cell (lead or cooperating units) and returns what each
// refers to, in the cell's order. Names are separated by ';', ',', line breaks or "- "
// bullets; names that themselves contain commas ("Các sở, ban, ngành", "Sở Tư pháp; các
// cơ quan, đơn vị liên quan") are recognised by trying the longest run of comma-separated
// pieces first. A name elided after a comma takes the words its neighbour left out:
// "UBND cấp huyện, cấp xã" names "UBND cấp huyện" and "UBND cấp xã".
//
// A name is matched, in order, to a unit's full name or its derived forms, then to a
// collective phrase, then to a short name or code. A name matching nothing, or matching
// several units equally, gives a Problem (with Row and Column left for the caller) with up
// to three suggested units.
func (m *Matcher) Match(cell string) ([]Match, []Problem) {
	pieces := split(cell)
	var (
		matches  []Match
		problems []Problem
		prev     string
	)
	for i := 0; i < len(pieces); {
		n, match, problem := m.longest(pieces[i:], prev)
		if problem != nil {
			problems = append(problems, *problem)
		} else {
			matches = append(matches, match)
		}
		prev = match.Text
		if problem != nil {
			prev = problem.Text
		}
		i += n
	}
	return matches, problems
}

// longest matches the longest run of soft-separated pieces at the head of ps that names a
// unit or a collective, and returns how many pieces it used. prev is the name before, for
// completing an elided "cấp xã".
func (m *Matcher) longest(ps []piece, prev string) (int, Match, *Problem) {
	limit := 1
	for limit < len(ps) && limit < maxJoin && !ps[limit-1].hard {
		limit++
	}
	join := func(n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteString(ps[i-1].glue)
			}
			b.WriteString(ps[i].text)
		}
		return completeElided(b.String(), prev)
	}
	for n := limit; n > 1; n-- {
		if match, problem, ok := m.one(join(n)); ok {
			return n, match, problem
		}
	}
	match, problem, _ := m.one(join(1))
	return 1, match, problem
}

// completeElided restores the words an elided name leaves out: after "UBND cấp huyện",
// "cấp xã" means "UBND cấp xã".
func completeElided(text, prev string) string {
	w := strings.Fields(text)
	if len(w) == 0 || vntext.Fold(w[0]) != "cap" || prev == "" {
		return text
	}
	pw := strings.Fields(prev)
	for k := len(pw) - 1; k > 0; k-- {
		if vntext.Fold(pw[k]) == "cap" {
			return strings.Join(pw[:k], " ") + " " + text
		}
	}
	return text
}

// one matches a single name. ok reports a definite reading (a unit or a collective); when
// it is false, problem says why.
func (m *Matcher) one(text string) (Match, *Problem, bool) {
	key := unitKey(text)
	match := Match{Text: text}
	if ids := m.names[key]; len(ids) > 0 {
		return m.unitMatch(match, ids)
	}
	if c := collective(key); c != CollectiveNone {
		match.Collective = c
		return match, nil, true
	}
	if ids := m.shortNames[key]; len(ids) > 0 {
		return m.unitMatch(match, ids)
	}
	sugg := m.suggest(key)
	msg := fmt.Sprintf("Không tìm thấy đơn vị “%s” trong danh mục đơn vị", text)
	if len(sugg) > 0 {
		msg += "; có phải là: " + suggestionNames(sugg) + "?"
	}
	return match, &Problem{Text: text, Message: msg, Suggestions: sugg}, false
}

// unitMatch reads a key hit: one unit is a match, several are an ambiguity the person
// must settle.
func (m *Matcher) unitMatch(match Match, idx []int) (Match, *Problem, bool) {
	if len(idx) == 1 {
		u := m.units[idx[0]]
		match.UnitID, match.UnitName = u.ID, u.Name
		return match, nil, true
	}
	sugg := make([]Suggestion, 0, len(idx))
	for _, i := range idx {
		sugg = append(sugg, Suggestion{UnitID: m.units[i].ID, Name: m.units[i].Name, Score: 1})
	}
	return match, &Problem{
		Text:        match.Text,
		Message:     fmt.Sprintf("Tên “%s” ứng với nhiều đơn vị: %s; cần ghi rõ đơn vị nào", match.Text, suggestionNames(sugg)),
		Suggestions: sugg,
	}, true
}

// suggest returns the units whose keys are most similar to key by trigram Jaccard
// similarity, best first (ties in directory order), at most maxSuggestions.
func (m *Matcher) suggest(key string) []Suggestion {
	q := trigrams(key)
	var out []Suggestion
	for i, gs := range m.grams {
		best := 0.0
		for _, g := range gs {
			best = max(best, jaccard(q, g))
		}
		if best >= minSuggestionScore {
			out = append(out, Suggestion{UnitID: m.units[i].ID, Name: m.units[i].Name, Score: best})
		}
	}
	slices.SortStableFunc(out, func(a, b Suggestion) int { return cmp.Compare(b.Score, a.Score) })
	return out[:min(len(out), maxSuggestions)]
}

// suggestionNames lists suggestions for a message.
func suggestionNames(ss []Suggestion) string {
	names := make([]string, len(ss))
	for i, s := range ss {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

// trigrams returns the set of three-rune windows of " key ", the padding letting a
// word's start and end count.
func trigrams(key string) map[string]struct{} {
	r := []rune(" " + key + " ")
	set := make(map[string]struct{}, len(r))
	for i := 0; i+3 <= len(r); i++ {
		set[string(r[i:i+3])] = struct{}{}
	}
	return set
}

// jaccard returns |a ∩ b| / |a ∪ b|.
func jaccard(a, b map[string]struct{}) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 0
	}
	inter := 0
	for g := range a {
		if _, ok := b[g]; ok {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

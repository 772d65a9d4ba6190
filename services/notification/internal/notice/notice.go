// Package notice is the domain of notifications: which event tells whom (rules, kept as
// data in rules.json), and the Vietnamese messages per event and channel (templates.go).
//
// It imports nothing of the platform but the shared Vietnamese date helpers.
package notice

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Audience names a group of recipients of an event.
type Audience string

// Audiences a rule may name.
const (
	// AudLeadUnits are the lead units (đơn vị chủ trì) of a task.
	AudLeadUnits Audience = "lead_units"
	// AudCooperatingUnits are the cooperating units (đơn vị phối hợp) of a task or explanation.
	AudCooperatingUnits Audience = "cooperating_units"
	// AudUnit is the unit an explanation, evaluation or sanction is about.
	AudUnit Audience = "unit"
	// AudHead is the head (người đứng đầu) who must explain or is evaluated: the user named
	// in the event, else whoever answers for the unit that day in the directory.
	AudHead Audience = "head"
	// AudScoredUnits are the units whose PAR results were published.
	AudScoredUnits Audience = "scored_units"
	// AudSecretariat are the users holding the secretariat role (Sở Nội vụ).
	AudSecretariat Audience = "secretariat"
	// AudLeadership are the users holding the provincial leadership role.
	AudLeadership Audience = "leadership"
)

// unitAudiences are resolved to units (their inbox, and their users for e-mail); the others
// to users.
var unitAudiences = []Audience{AudLeadUnits, AudCooperatingUnits, AudUnit, AudScoredUnits}

// Rule says what one event type causes.
type Rule struct {
	// Event is the subject, e.g. "tasktracking.v1.task.assigned".
	Event string `json:"event"`
	// Urgent events reach the inbox whatever the recipient's preferences, and are never
	// held for the digest.
	Urgent bool `json:"urgent"`
	// Audiences are told, in this order; a recipient in several is told once, in the first.
	Audiences []Audience `json:"audiences"`
	// Escalate names the kind of watch ("occurrence", "explanation") started by the event:
	// without a reaction in time, the secretariat is told.
	Escalate string `json:"escalate"`
	// Reaction names the kind of watch the event ends (the unit reacted).
	Reaction string `json:"reaction"`
}

// Rules is the rule set, by event type.
type Rules struct {
	byEvent map[string]Rule
	order   []string
}

//go:embed rules.json
var rulesJSON []byte

// DefaultRules returns the platform's rules (rules.json).
func DefaultRules() *Rules {
	r, err := ParseRules(rulesJSON)
	if err != nil {
		panic(err) // rules.json is part of the build and tested
	}
	return r
}

// ParseRules reads a rule set and checks it: known audiences, a template for every event
// that tells anyone, no event twice.
func ParseRules(data []byte) (*Rules, error) {
	var doc struct {
		Rules []Rule `json:"rules"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("notice: rules: %w", err)
	}
	known := append(slices.Clone(unitAudiences), AudHead, AudSecretariat, AudLeadership)
	r := &Rules{byEvent: map[string]Rule{}}
	for _, rule := range doc.Rules {
		if _, dup := r.byEvent[rule.Event]; dup || rule.Event == "" {
			return nil, fmt.Errorf("notice: rules: event %q empty or listed twice", rule.Event)
		}
		for _, a := range rule.Audiences {
			if !slices.Contains(known, a) {
				return nil, fmt.Errorf("notice: rules: event %s: unknown audience %q", rule.Event, a)
			}
		}
		if len(rule.Audiences) > 0 {
			if _, ok := templates[rule.Event]; !ok {
				return nil, fmt.Errorf("notice: rules: event %s has no template", rule.Event)
			}
		}
		r.byEvent[rule.Event] = rule
		r.order = append(r.order, rule.Event)
	}
	return r, nil
}

// For returns the rule of an event type.
func (r *Rules) For(event string) (Rule, bool) {
	rule, ok := r.byEvent[event]
	return rule, ok
}

// Events returns every event type with a rule, in file order.
func (r *Rules) Events() []string { return slices.Clone(r.order) }

// Facts is what an event tells notifications, whatever its producer.
type Facts struct {
	// Task or occurrence.
	TaskID, TaskCode, Content, OccurrenceID string
	DocumentNumber, DocumentTitle           string
	LeadUnitIDs, CooperatingUnitIDs         []string
	// Due is the deadline (zero when none); DeadlineText the document's phrase.
	Due          time.Time
	DeadlineText string
	// ExtensionApproved and Reason for extension decisions, explanation requests, returns.
	ExtensionApproved bool
	Reason            string
	// Explanation, evaluation or sanction.
	RecordID, NodeCode, Title string
	UnitID                    string
	HeadUserID, HeadName      string
	Year                      int32
	Tier, Kind, LegalBasis    string
	// PAR results.
	ScoredUnitIDs []string
	SubjectKind   string
	Decision      string
}

// Recipient is one addressee of an event: a unit or a user.
type Recipient struct {
	// Unit or user id (lower case).
	UnitID, UserID string
	// Role words how a unit takes part ("chủ trì", "phối hợp"); may be empty.
	Role string
}

// Key identifies the recipient for de-duplication.
func (r Recipient) Key() string {
	if r.UserID != "" {
		return "user:" + r.UserID
	}
	return "unit:" + r.UnitID
}

// Units returns the unit recipients of rule's unit audiences for facts: each unit once, in
// the first audience naming it (a unit both leading and cooperating is told it leads).
func (rule Rule) Units(f Facts) []Recipient {
	seen := map[string]bool{}
	var out []Recipient
	add := func(ids []string, role string) {
		for _, id := range ids {
			id = strings.ToLower(strings.TrimSpace(id))
			if id == "" || seen[id] {
				continue
			}
			seen[id] = true
			out = append(out, Recipient{UnitID: id, Role: role})
		}
	}
	for _, a := range rule.Audiences {
		switch a {
		case AudLeadUnits:
			add(f.LeadUnitIDs, "chủ trì")
		case AudCooperatingUnits:
			add(f.CooperatingUnitIDs, "phối hợp")
		case AudUnit:
			add([]string{f.UnitID}, "")
		case AudScoredUnits:
			add(f.ScoredUnitIDs, "")
		}
	}
	return out
}

// Wants reports whether the rule names audience a.
func (rule Rule) Wants(a Audience) bool { return slices.Contains(rule.Audiences, a) }

package inbox

import (
	"errors"
	"fmt"
	"strings"
	"text/template"
	"time"

	"github.com/parindex/platform/services/kit/vntime"
)

// EventTaskAssigned is the subject of task tracking's TaskAssigned event.
const EventTaskAssigned = "tasktracking.v1.task.assigned"

// Assignment is what a TaskAssigned event tells the inbox: a task of a directing document
// given to lead and cooperating units.
type Assignment struct {
	// TaskID, TaskCode and Content identify and describe the task.
	TaskID, TaskCode, Content string
	// DocumentNumber and DocumentTitle name the document carrying it.
	DocumentNumber, DocumentTitle string
	// LeadUnitIDs and CooperatingUnitIDs are the units assigned.
	LeadUnitIDs, CooperatingUnitIDs []string
	// Due is the computed deadline; zero when the deadline has no single date
	// (yearly, continuous, conditional).
	Due time.Time
	// DeadlineText is the deadline as the document writes it.
	DeadlineText string
}

// role is how a unit takes part in the task, as the message words it.
type role string

const (
	roleLead        role = "chủ trì"
	roleCooperating role = "phối hợp"
)

// messageData is what the templates see.
type messageData struct {
	Role           role
	TaskCode       string
	Content        string
	DocumentLabel  string // "Kế hoạch 56/KH-UBND"
	DocumentTitle  string
	Deadline       string
	DocumentNumber string
}

// The texts of a task-assignment item. They are the platform's wording, so they sit with the
// domain; rules and templates as data come with the notification rules of issue 6.
var (
	assignedTitle = template.Must(template.New("title").Parse(
		`Nhiệm vụ mới: {{.TaskCode}} — {{.DocumentLabel}}`))
	assignedBody = template.Must(template.New("body").Parse(
		`Đơn vị được giao {{.Role}} thực hiện nhiệm vụ {{.TaskCode}} theo {{.DocumentLabel}}` +
			`{{with .DocumentTitle}} ({{.}}){{end}}: {{.Content}}` + "\n" +
			`Thời hạn hoàn thành: {{.Deadline}}.`))
)

// ItemsForAssignment returns one unread item per unit assigned: each lead unit, then each
// cooperating unit, every unit once (a unit listed in both roles is told it leads). newID
// returns a fresh unique id on every call.
func ItemsForAssignment(a Assignment, eventID string, now time.Time, newID func() string) ([]Item, error) {
	if a.TaskID == "" || eventID == "" {
		return nil, errors.New("inbox: task assignment without task or event id")
	}
	data := messageData{
		TaskCode:       a.TaskCode,
		Content:        strings.TrimSpace(a.Content),
		DocumentLabel:  DocumentLabel(a.DocumentNumber),
		DocumentTitle:  strings.TrimSpace(a.DocumentTitle),
		Deadline:       deadline(a.Due, a.DeadlineText),
		DocumentNumber: a.DocumentNumber,
	}
	seen := map[string]bool{}
	var items []Item
	add := func(unitID string, r role) error {
		unitID = strings.ToLower(strings.TrimSpace(unitID))
		if unitID == "" || seen[unitID] {
			return nil
		}
		seen[unitID] = true
		data.Role = r
		title, err := render(assignedTitle, data)
		if err != nil {
			return err
		}
		body, err := render(assignedBody, data)
		if err != nil {
			return err
		}
		items = append(items, Item{
			ID: newID(), UnitID: unitID, EventID: eventID, EventType: EventTaskAssigned,
			Title: title, Body: body, Link: "/nhiem-vu/" + a.TaskID, CreateTime: now,
		})
		return nil
	}
	for _, id := range a.LeadUnitIDs {
		if err := add(id, roleLead); err != nil {
			return nil, err
		}
	}
	for _, id := range a.CooperatingUnitIDs {
		if err := add(id, roleCooperating); err != nil {
			return nil, err
		}
	}
	return items, nil
}

// deadline words a deadline for people: the local date as dd/mm/yyyy, followed by the phrase
// of the document when it says more than the date ("31/12/2018 (Quý IV/2018)"); the phrase
// alone when there is no date ("Thường xuyên").
func deadline(due time.Time, text string) string {
	text = strings.TrimSpace(text)
	if due.IsZero() {
		if text == "" {
			return "không ghi thời hạn"
		}
		return text
	}
	date := vntime.DateOf(due).VN()
	if text == "" || text == date {
		return date
	}
	return date + " (" + text + ")"
}

// documentKinds names the kinds of documents by the abbreviation their numbers carry, from
// the table of abbreviations of Decree 30/2020/NĐ-CP on administrative documents (Appendix
// III): "56/KH-UBND" is a plan (Kế hoạch). A letter (công văn) has no abbreviation of its
// own ("1722/UBND-TH") and falls back to "Văn bản", as does anything not listed.
var documentKinds = map[string]string{
	"NQ":  "Nghị quyết",
	"QĐ":  "Quyết định",
	"CT":  "Chỉ thị",
	"QC":  "Quy chế",
	"QYĐ": "Quy định",
	"TB":  "Thông báo",
	"HD":  "Hướng dẫn",
	"CTR": "Chương trình",
	"KH":  "Kế hoạch",
	"PA":  "Phương án",
	"ĐA":  "Đề án",
	"BC":  "Báo cáo",
	"TTR": "Tờ trình",
	"CĐ":  "Công điện",
}

// DocumentLabel returns how a message names a document: its kind read from the number,
// then the number ("Kế hoạch 56/KH-UBND"; "Văn bản 1722/UBND-TH").
func DocumentLabel(number string) string {
	number = strings.TrimSpace(number)
	if number == "" {
		return "văn bản"
	}
	kind := "Văn bản"
	if _, after, ok := strings.Cut(number, "/"); ok {
		abbr, _, _ := strings.Cut(after, "-")
		if k, ok := documentKinds[strings.ToUpper(strings.TrimSpace(abbr))]; ok {
			kind = k
		}
	}
	return kind + " " + number
}

func render(t *template.Template, data messageData) (string, error) {
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("inbox: render %s: %w", t.Name(), err)
	}
	return b.String(), nil
}

package tracking

import (
	"fmt"
	"time"
)

// ErrDocumentSuperseded refuses a change that only a document in force may take.
var ErrDocumentSuperseded = &Error{Kind: ErrFailedPrecondition, Message: "Văn bản đã được thay thế, không thể giao thêm nhiệm vụ"}

// NewTasks checks tasks about to be added to d (the stored document with its tasks) and
// returns them ready to store: normalised, with ids, the document id and the creation time.
// A code must be new to the document and to the batch; the document must be in force and
// stay within MaxTasks. Every problem is reported at once as ValidationErrors on the paths
// "tasks[i]…" of the request. Units are checked by the caller against the directory
// (UnitReferences of a Document holding only the new tasks).
func NewTasks(d Document, drafts []Task, now time.Time, newID func() string) ([]Task, error) {
	if d.Status == StatusSuperseded {
		return nil, ErrDocumentSuperseded
	}
	tasks := normalise(Document{Tasks: drafts}).Tasks
	var v ValidationErrors
	if len(d.Tasks)+len(tasks) > MaxTasks {
		v.Add("tasks", fmt.Sprintf("Một văn bản có tối đa %d nhiệm vụ; văn bản đã có %d", MaxTasks, len(d.Tasks)))
	}
	existing := make(map[string]bool, len(d.Tasks))
	for _, t := range d.Tasks {
		existing[t.Code] = true
	}
	batch := make(map[string]int, len(tasks))
	for i, t := range tasks {
		field := fmt.Sprintf("tasks[%d]", i)
		if t.Code != "" {
			if existing[t.Code] {
				v.Add(field+".code", fmt.Sprintf("Mã nhiệm vụ %q đã có trong văn bản", t.Code))
			} else if first, dup := batch[t.Code]; dup {
				v.Add(field+".code", fmt.Sprintf("Mã nhiệm vụ %q đã dùng cho nhiệm vụ thứ %d của yêu cầu", t.Code, first+1))
			} else {
				batch[t.Code] = i
			}
		}
		t.validate(field, &v)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	for i := range tasks {
		tasks[i].ID = newID()
		tasks[i].DocumentID = d.ID
		tasks[i].CreateTime = now
	}
	return tasks, nil
}

// TaskScopeOf returns the scope of task t of document d, which decides a caller's relation.
func TaskScopeOf(d Document, t Task) TaskScope {
	return TaskScope{
		TaskID: t.ID, TaskCode: t.Code, DocumentID: d.ID, IssuerUnitID: d.IssuerUnitID,
		LeadUnitIDs: t.LeadUnitIDs, CooperatingUnitIDs: t.CooperatingUnitIDs,
	}
}

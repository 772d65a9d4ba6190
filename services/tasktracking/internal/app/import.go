package app

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parindex/platform/services/kit/tabular"
	"github.com/parindex/platform/services/tasktracking/internal/importer"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// ImportFormat is the file format of an imported table.
type ImportFormat string

// Import formats.
const (
	// FormatDetect reads an XLSX workbook when the content starts with the zip signature,
	// a CSV otherwise.
	FormatDetect ImportFormat = ""
	// FormatCSV is a comma-separated table in UTF-8.
	FormatCSV ImportFormat = "csv"
	// FormatXLSX is an Office Open XML workbook.
	FormatXLSX ImportFormat = "xlsx"
)

// mediaTypeXLSX is the media type of an XLSX workbook.
const mediaTypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// zipMagic starts every zip archive, which an XLSX workbook is.
var zipMagic = []byte("PK\x03\x04")

// ParseImportFormat reads a format given as a name ("csv", "xlsx") or a media type
// ("text/csv", the XLSX media type, parameters allowed); "" is FormatDetect. ok is false for
// anything else.
func ParseImportFormat(s string) (f ImportFormat, ok bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return FormatDetect, true
	}
	if mt, _, err := mime.ParseMediaType(s); err == nil {
		s = mt
	}
	switch strings.TrimPrefix(s, ".") {
	case "csv", "text/csv", "application/csv":
		return FormatCSV, true
	case "xlsx", mediaTypeXLSX:
		return FormatXLSX, true
	}
	return "", false
}

// ImportRequest is an appendix table to import into a new document.
type ImportRequest struct {
	// Document is the new document's header; its tasks come from the file.
	Document tracking.Document
	// Content is the file; Format says how to read it.
	Content []byte
	Format  ImportFormat
	// DryRun reads and checks only.
	DryRun bool
	// CreatedBy is the user id (or token subject) of the caller.
	CreatedBy string
}

// ImportProblem is a problem of an imported table with the request field a real import
// reports it under ("rows[13].lead").
type ImportProblem struct {
	importer.Problem
	// Field is "rows[<row>].<column field>", or "rows[<row>]" for a whole row.
	Field string
}

// ImportResult is what an import read and did.
type ImportResult struct {
	// Document is the created document, or on a dry run (or with problems) the document as it
	// would be created, without ids.
	Document tracking.Document
	// Rows accounts for every row of the file.
	Rows []importer.Row
	// Problems are all problems, by row then column.
	Problems []ImportProblem
	// Created reports whether the document was written.
	Created bool
}

// Request fields of an import's errors.
const (
	fieldContent = "content"
	fieldDoc     = "document."
)

// ImportDocumentTasks reads a plan's appendix table (importer.ParseAppendix) into a new
// document: unit names are matched against the directory's units, collectives expanded
// within the issuer's province (importer.Scope), and the tasks checked as the domain checks
// any document. Every problem is returned at once in the result.
//
// Nothing is written on a dry run or when there is a problem. A real import without
// problems goes through CreateDocument, so the document, its tasks, occurrences and
// TaskAssigned events are stored in one transaction. A real import with problems returns
// the result and tracking.ValidationErrors with one field per problem ("rows[13].lead").
// Errors of the request itself (an unreadable file, a header field, an unknown issuer) are
// ValidationErrors on request fields ("content", "document.issuer_unit_id") in both modes.
func (s *Service) ImportDocumentTasks(ctx context.Context, req ImportRequest) (ImportResult, error) {
	rows, err := readTable(req.Content, req.Format)
	if err != nil {
		return ImportResult{}, err
	}
	units, err := s.dir.Units(ctx)
	if err != nil {
		return ImportResult{}, fmt.Errorf("import document %q: list units: %w", req.Document.Number, err)
	}
	draft := req.Document
	draft.IssuerUnitID = strings.ToLower(strings.TrimSpace(draft.IssuerUnitID))
	issuerKnown := slices.ContainsFunc(units, func(u Unit) bool { return strings.EqualFold(u.ID, draft.IssuerUnitID) })
	m, scope := importer.ForIssuer(importerUnits(units), issuerID(units, draft.IssuerUnitID))
	parsed, err := importer.ParseAppendix(rows, m)
	if errors.Is(err, importer.ErrNoHeader) {
		return ImportResult{}, tracking.ValidationError{Field: fieldContent, Reason: sentence(err.Error())}
	}
	if err != nil {
		return ImportResult{}, fmt.Errorf("import document %q: %w", req.Document.Number, err)
	}

	r := newImportReport(parsed)
	draft.Tasks = make([]tracking.Task, 0, len(parsed.Tasks))
	taskRows := make([]int, 0, len(parsed.Tasks))
	for _, t := range parsed.Tasks {
		lead, coop := scope.UnitIDs(t)
		if len(lead) == 0 && t.LeadText != "" && !r.has(t.Row, importer.FieldLead) {
			r.add(t.Row, importer.FieldLead, t.LeadText, fmt.Sprintf(
				"Cơ quan chủ trì “%s” không chỉ ra đơn vị cụ thể nào trong danh mục đơn vị; cần ghi tên ít nhất một đơn vị chủ trì", t.LeadText))
		}
		draft.Tasks = append(draft.Tasks, tracking.Task{
			Code: t.Code, Group: t.Group, Content: t.Content,
			LeadUnitIDs: lead, CooperatingUnitIDs: coop,
			Start: t.Start, Deadline: t.Deadline, ExpectedProduct: t.ExpectedProduct,
			LeadText: t.LeadText, CooperatingText: t.CooperatingText,
		})
		taskRows = append(taskRows, t.Row)
	}

	// The domain's checks, without storing: the rows' problems join the file's, the
	// header's are errors of the request.
	now := s.now().Truncate(time.Microsecond)
	preview, err := tracking.NewDocument(draft, req.CreatedBy, now, s.newID)
	var header tracking.ValidationErrors
	if err != nil {
		ves, ok := tracking.AsValidation(err)
		if !ok {
			return ImportResult{}, fmt.Errorf("import document %q: %w", req.Document.Number, err)
		}
		for _, ve := range ves {
			if row, f, ok := taskField(ve.Field, taskRows); ok {
				if !r.has(row, f) {
					r.add(row, f, "", ve.Reason)
				}
				continue
			}
			header.Add(requestField(ve.Field), ve.Reason)
		}
		preview = draft
	}
	if !issuerKnown && draft.IssuerUnitID != "" {
		header.Add(fieldDoc+"issuer_unit_id", "Đơn vị ban hành không có trong danh mục đơn vị")
	}
	if len(header) > 0 {
		return ImportResult{}, header
	}

	res := ImportResult{Rows: parsed.Rows, Problems: r.sorted()}
	s.log.InfoContext(ctx, "document import read",
		slog.String("number", draft.Number), slog.Bool("dry_run", req.DryRun),
		slog.Int("rows", len(parsed.Rows)), slog.Int("tasks", len(draft.Tasks)), slog.Int("problems", len(res.Problems)))
	if req.DryRun || len(res.Problems) > 0 {
		res.Document = withoutIDs(preview)
		if req.DryRun {
			return res, nil
		}
		var v tracking.ValidationErrors
		for _, p := range res.Problems {
			v.Add(p.Field, p.Message)
		}
		return res, v
	}

	// The same path as CreateDocument, so an imported document is stored, checked and
	// announced exactly like one entered by hand.
	d, err := s.CreateDocument(ctx, draft, req.CreatedBy)
	if ves, ok := tracking.AsValidation(err); ok {
		// The directory changed since the units were listed, or a check only the store makes.
		out := make(tracking.ValidationErrors, 0, len(ves))
		for _, ve := range ves {
			if row, f, ok := taskField(ve.Field, taskRows); ok {
				out.Add(rowField(row, f), ve.Reason)
			} else {
				out.Add(requestField(ve.Field), ve.Reason)
			}
		}
		return res, out
	}
	if err != nil {
		return ImportResult{}, fmt.Errorf("import document: %w", err)
	}
	res.Document, res.Created = d, true
	return res, nil
}

// readTable reads content as format, refusing what is not a table with a ValidationError
// on the content.
func readTable(content []byte, format ImportFormat) ([][]string, error) {
	if format == FormatDetect {
		format = FormatCSV
		if bytes.HasPrefix(content, zipMagic) {
			format = FormatXLSX
		}
	}
	var (
		rows [][]string
		err  error
	)
	switch format {
	case FormatXLSX:
		rows, err = importer.ReadXLSX(bytes.NewReader(content))
	case FormatCSV:
		rows, err = importer.ReadCSV(bytes.NewReader(content))
	default:
		return nil, tracking.ValidationError{Field: "format", Reason: "Định dạng tệp phải là CSV hoặc XLSX"}
	}
	var notUTF8 *tabular.NotUTF8Error
	switch {
	case errors.Is(err, importer.ErrTooManyRows):
		return nil, tracking.ValidationError{Field: fieldContent, Reason: sentence(err.Error())}
	case errors.As(err, &notUTF8):
		// The reader names the line of the first bad byte, which the person can find.
		return nil, tracking.ValidationError{Field: fieldContent, Reason: sentence(notUTF8.Error())}
	case err != nil:
		// The reader's cause (a zip or CSV syntax error) is English and technical; the person
		// needs to know which kind of file was expected.
		return nil, tracking.ValidationError{Field: fieldContent, Reason: fmt.Sprintf(
			"Không đọc được tệp dưới dạng %s; hãy lưu bảng thành tệp .xlsx hoặc .csv (UTF-8)", strings.ToUpper(string(format)))}
	}
	return rows, nil
}

// importerUnits gives the matcher the directory's units.
func importerUnits(units []Unit) []importer.Unit {
	out := make([]importer.Unit, len(units))
	for i, u := range units {
		out[i] = importer.Unit{
			ID: u.ID, Code: u.Code, Name: u.Name, ShortName: u.ShortName,
			Kind: u.Kind, Level: u.Level, ParentID: u.ParentID,
		}
	}
	return out
}

// issuerID returns the directory's spelling of id (ids are compared without case), or id.
func issuerID(units []Unit, id string) string {
	for _, u := range units {
		if strings.EqualFold(u.ID, id) {
			return u.ID
		}
	}
	return id
}

// importReport gathers the problems of an import, at most one per row and column.
type importReport struct {
	problems []ImportProblem
	seen     map[string]bool
	// columns are the recognised columns by field, and their order in the table.
	columns map[importer.Field]importer.Column
	order   map[string]int
}

func newImportReport(parsed importer.Result) *importReport {
	r := &importReport{seen: map[string]bool{}, columns: map[importer.Field]importer.Column{}, order: map[string]int{}}
	fieldOf := map[string]importer.Field{}
	for _, c := range parsed.Columns {
		r.columns[c.Field] = c
		r.order[c.Name] = c.Index + 1
		fieldOf[c.Name] = c.Field
	}
	for _, p := range parsed.Problems {
		f := fieldOf[p.Column]
		r.seen[rowField(p.Row, f)] = true
		r.problems = append(r.problems, ImportProblem{Problem: p, Field: rowField(p.Row, f)})
	}
	return r
}

// has reports whether row already has a problem in the column of f.
func (r *importReport) has(row int, f importer.Field) bool { return r.seen[rowField(row, f)] }

// add records a problem in the column of f at row.
func (r *importReport) add(row int, f importer.Field, text, msg string) {
	field := rowField(row, f)
	r.seen[field] = true
	r.problems = append(r.problems, ImportProblem{
		Problem: importer.Problem{Row: row, Column: r.columns[f].Name, Text: text, Message: msg},
		Field:   field,
	})
}

// sorted returns the problems by row, then in column order (whole-row problems first).
func (r *importReport) sorted() []ImportProblem {
	out := slices.Clone(r.problems)
	slices.SortStableFunc(out, func(a, b ImportProblem) int {
		return cmp.Or(cmp.Compare(a.Row, b.Row), cmp.Compare(r.order[a.Column], r.order[b.Column]))
	})
	return out
}

// rowField is the request field of a problem: "rows[13].lead", or "rows[13]".
func rowField(row int, f importer.Field) string {
	field := "rows[" + strconv.Itoa(row) + "]"
	if f != "" {
		field += "." + string(f)
	}
	return field
}

// taskFieldRe splits a domain field path "tasks[3].lead_unit_ids[0]" into the task index and
// the task's field.
var taskFieldRe = regexp.MustCompile(`^tasks\[(\d+)\]\.([a-z_]+)`)

// taskField maps a domain field path of task i to the row of that task and the column
// holding the field.
func taskField(field string, taskRows []int) (int, importer.Field, bool) {
	m := taskFieldRe.FindStringSubmatch(field)
	if m == nil {
		return 0, "", false
	}
	i, err := strconv.Atoi(m[1])
	if err != nil || i >= len(taskRows) {
		return 0, "", false
	}
	var f importer.Field
	switch m[2] {
	case "code", "group":
		f = importer.FieldNumber
	case "content":
		f = importer.FieldContent
	case "lead_unit_ids", "lead_text":
		f = importer.FieldLead
	case "cooperating_unit_ids", "cooperating_text":
		f = importer.FieldCooperating
	case "start":
		f = importer.FieldStart
	case "deadline":
		f = importer.FieldDeadline
	case "expected_product":
		f = importer.FieldProduct
	}
	return taskRows[i], f, true
}

// requestField maps a domain field path outside the tasks to the import request: header
// fields are the document's, the number of tasks is the file's.
func requestField(field string) string {
	if field == "tasks" {
		return fieldContent
	}
	return fieldDoc + field
}

// withoutIDs returns d as it would be created but is not: no ids, times or author.
func withoutIDs(d tracking.Document) tracking.Document {
	d.ID, d.CreatedBy, d.CreateTime, d.UpdateTime = "", "", time.Time{}, time.Time{}
	tasks := slices.Clone(d.Tasks)
	for i := range tasks {
		tasks[i].ID, tasks[i].DocumentID, tasks[i].CreateTime = "", "", time.Time{}
	}
	d.Tasks = tasks
	return d
}

// sentence returns an error text as a sentence: first letter upper-case.
func sentence(s string) string {
	for i, r := range s {
		return strings.ToUpper(string(r)) + s[i+len(string(r)):]
	}
	return s
}

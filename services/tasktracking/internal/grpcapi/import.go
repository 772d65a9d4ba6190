package grpcapi

import (
	"context"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/kit/apierr"
	"github.com/parindex/platform/services/tasktracking/internal/app"
	"github.com/parindex/platform/services/tasktracking/internal/importer"
	"github.com/parindex/platform/services/tasktracking/internal/protoconv"
)

const msgBadFormat = "Định dạng tệp phải là csv, xlsx, text/csv hoặc application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

var importRowKinds = map[importer.RowKind]tasktrackingv1.ImportRowKind{
	importer.RowPreamble: tasktrackingv1.ImportRowKind_IMPORT_ROW_KIND_PREAMBLE,
	importer.RowHeader:   tasktrackingv1.ImportRowKind_IMPORT_ROW_KIND_HEADER,
	importer.RowGroup:    tasktrackingv1.ImportRowKind_IMPORT_ROW_KIND_GROUP,
	importer.RowTask:     tasktrackingv1.ImportRowKind_IMPORT_ROW_KIND_TASK,
	importer.RowBlank:    tasktrackingv1.ImportRowKind_IMPORT_ROW_KIND_BLANK,
	importer.RowRejected: tasktrackingv1.ImportRowKind_IMPORT_ROW_KIND_REJECTED,
}

// ImportDocumentTasks imports a plan's appendix table into a new document. The caller must
// be allowed to issue the document, as for CreateDocument. A dry run answers with the rows,
// the tasks and every problem; a real import with problems answers InvalidArgument with a
// field violation per problem and writes nothing.
func (s *Server) ImportDocumentTasks(ctx context.Context, req *tasktrackingv1.ImportDocumentTasksRequest) (*tasktrackingv1.ImportDocumentTasksResponse, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if err := mayIssue(p, req.GetDocument().GetIssuerUnitId()); err != nil {
		return nil, err
	}
	format, ok := app.ParseImportFormat(req.GetFormat())
	if !ok {
		return nil, apierr.InvalidArgument("", apierr.FieldViolation{Field: "format", Description: msgBadFormat})
	}
	draft, err := protoconv.DocumentFromProto(req.GetDocument())
	if err != nil {
		return nil, s.toStatus(ctx, err, "document.")
	}
	// The tasks come from the file; protovalidate already refuses a request that has some.
	draft.Tasks = nil
	createdBy := p.UserID
	if createdBy == "" {
		createdBy = p.Subject
	}
	res, err := s.svc.ImportDocumentTasks(ctx, app.ImportRequest{
		Document: draft, Content: req.GetContent(), Format: format, DryRun: req.GetDryRun(), CreatedBy: createdBy,
	})
	if err != nil {
		// Fields are already request paths ("content", "document.number", "rows[13].lead").
		return nil, s.toStatus(ctx, err, "")
	}
	resp := &tasktrackingv1.ImportDocumentTasksResponse{
		Document: protoconv.DocumentToProto(res.Document),
		Created:  res.Created,
	}
	for _, r := range res.Rows {
		resp.Rows = append(resp.Rows, &tasktrackingv1.ImportRow{Row: int32(r.Number), Kind: importRowKinds[r.Kind], TaskCode: r.Code}) // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
	}
	for _, pr := range res.Problems {
		pb := &tasktrackingv1.ImportProblem{
			Row: int32(pr.Row), Column: pr.Column, Message: pr.Message, Text: pr.Text, Field: pr.Field, // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		}
		for _, sg := range pr.Suggestions {
			pb.Suggestions = append(pb.Suggestions, &tasktrackingv1.UnitSuggestion{UnitId: sg.UnitID, Name: sg.Name})
		}
		resp.Problems = append(resp.Problems, pb)
	}
	return resp, nil
}

package grpcapi

import (
	"context"
	"slices"
	"strings"

	"github.com/google/uuid"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/tasktracking/internal/app"
	"github.com/parindex/platform/services/tasktracking/internal/protoconv"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

const msgMayNotAmend = "Bạn không có quyền sửa văn bản này"

// actor returns who p is, for the history and the events.
func actor(p auth.Principal) tracking.Actor {
	return tracking.Actor{Subject: p.Subject, UserID: p.UserID, UnitID: strings.ToLower(p.UnitID), Name: p.Name}
}

// unitMember reports whether p acts for its unit (its head, staff or software).
func unitMember(p auth.Principal) bool {
	return p.UnitID != "" && p.HasRole(auth.RoleUnitHead, auth.RoleUnitStaff, auth.RoleAgencySystem)
}

// relation returns how p stands to tasks (issue 3, item 10): lead-unit members act on their
// occurrences, cooperating-unit members read and report progress; the secretariat and the
// head of the issuing unit are the assigning side; appraisers, provincial leadership and
// platform services read everything and act on nothing. Everyone else has no relation and
// must not learn the task exists.
func relation(p auth.Principal) app.RelationFunc {
	unit := strings.ToLower(p.UnitID)
	member := unitMember(p)
	return func(s tracking.TaskScope) tracking.Relation {
		return tracking.Relation{
			Lead:        member && slices.Contains(s.LeadUnitIDs, unit),
			Cooperating: member && slices.Contains(s.CooperatingUnitIDs, unit),
			Assigner: p.HasRole(auth.RoleSecretariat) ||
				p.HasRole(auth.RoleUnitHead) && unit != "" && unit == s.IssuerUnitID,
			Observer: readsAll(p),
		}
	}
}

// readsAll reports whether p reads every task without acting on any: appraisers (who check
// the evidence of self-assessments), provincial leadership and platform services.
func readsAll(p auth.Principal) bool {
	return p.HasRole(auth.RoleAppraiser, auth.RoleLeadership, auth.RoleService)
}

// viewer is relation's rule for lists.
func viewer(p auth.Principal) app.Viewer {
	v := app.Viewer{All: p.HasRole(auth.RoleSecretariat) || readsAll(p)}
	if unitMember(p) {
		v.UnitID = strings.ToLower(p.UnitID)
		v.IssuerHead = p.HasRole(auth.RoleUnitHead)
	}
	return v
}

// UpdateDocument amends a document.
func (s *Server) UpdateDocument(ctx context.Context, req *tasktrackingv1.UpdateDocumentRequest) (*tasktrackingv1.UpdateDocumentResponse, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	pb := req.GetDocument()
	if _, err := uuid.Parse(pb.GetId()); err != nil {
		return nil, s.toStatus(ctx, tracking.ValidationErrors{{Field: "id", Reason: "Mã văn bản không hợp lệ"}}, "document.")
	}
	patch := tracking.Document{
		Title:           pb.GetTitle(),
		PeriodStartYear: int(pb.GetPeriodStartYear()),
		PeriodEndYear:   int(pb.GetPeriodEndYear()),
		Status:          protoconv.DocumentStatus(pb.GetStatus()),
	}
	paths := req.GetUpdateMask().GetPaths()
	if slices.Contains(paths, tracking.FieldSignedOn) {
		if patch.SignedOn, err = protoconv.ParseDate("signed_on", pb.GetSignedOn()); err != nil {
			return nil, s.toStatus(ctx, err, "document.")
		}
	}
	mayAmend := func(d tracking.Document) error {
		if mayIssue(p, d.IssuerUnitID) != nil {
			return &tracking.Error{Kind: tracking.ErrForbidden, Message: msgMayNotAmend}
		}
		return nil
	}
	d, err := s.svc.UpdateDocument(ctx, pb.GetId(), patch, paths, actor(p), mayAmend)
	if err != nil {
		// update_mask problems are named as the request field, the others under document.
		if ves, ok := tracking.AsValidation(err); ok {
			for i := range ves {
				if ves[i].Field != "update_mask" {
					ves[i].Field = "document." + ves[i].Field
				}
			}
			return nil, s.toStatus(ctx, ves, "")
		}
		return nil, s.toStatus(ctx, err, "")
	}
	full, err := s.svc.Document(ctx, d.ID, relation(p))
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	return &tasktrackingv1.UpdateDocumentResponse{Document: protoconv.DocumentToProto(full)}, nil
}

// GetOccurrence returns one occurrence.
func (s *Server) GetOccurrence(ctx context.Context, req *tasktrackingv1.GetOccurrenceRequest) (*tasktrackingv1.GetOccurrenceResponse, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	o, err := s.svc.Occurrence(ctx, req.GetOccurrenceId(), relation(p))
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	return &tasktrackingv1.GetOccurrenceResponse{Occurrence: protoconv.OccurrenceToProto(o, s.svc.Now())}, nil
}

// ListOccurrences lists the occurrences the caller may see.
func (s *Server) ListOccurrences(ctx context.Context, req *tasktrackingv1.ListOccurrencesRequest) (*tasktrackingv1.ListOccurrencesResponse, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	now := s.svc.Now()
	f := app.OccurrenceFilter{
		Viewer:     viewer(p),
		TaskID:     req.GetTaskId(),
		DocumentID: req.GetDocumentId(),
		UnitID:     strings.ToLower(req.GetUnitId()),
		// Accountability shows how far an explanation's roadmap has come from these.
		ExplanationID: strings.ToLower(req.GetExplanationId()),
		PageSize:      req.GetPageSize(),
		PageToken:     req.GetPageToken(),
	}
	switch req.GetUnitRole() {
	case tasktrackingv1.UnitRole_UNIT_ROLE_LEAD:
		f.Role = tracking.RoleLead
	case tasktrackingv1.UnitRole_UNIT_ROLE_COOPERATING:
		f.Role = tracking.RoleCooperating
	}
	for _, st := range req.GetStates() {
		f.States = append(f.States, protoconv.State(st))
	}
	if req.GetOverdueOnly() {
		f.OverdueAt = now
	}
	if req.GetDueBefore() != nil {
		f.DueBefore = req.GetDueBefore().AsTime()
	}
	if req.GetDueAfter() != nil {
		f.DueAfter = req.GetDueAfter().AsTime()
	}
	pg, err := s.svc.ListOccurrences(ctx, f)
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	resp := &tasktrackingv1.ListOccurrencesResponse{NextPageToken: pg.NextPageToken}
	for _, o := range pg.Items {
		resp.Occurrences = append(resp.Occurrences, protoconv.OccurrenceToProto(o, now))
	}
	return resp, nil
}

// act runs one lifecycle command for the caller.
func (s *Server) act(ctx context.Context, id string, cmd tracking.Command) (*tasktrackingv1.Occurrence, tracking.Change, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, tracking.Change{}, err
	}
	cmd.By = actor(p)
	o, c, err := s.svc.Act(ctx, id, cmd, relation(p))
	if err != nil {
		return nil, tracking.Change{}, s.toStatus(ctx, err, "")
	}
	return protoconv.OccurrenceToProto(o, s.svc.Now()), c, nil
}

// ReceiveOccurrence: not started → received.
func (s *Server) ReceiveOccurrence(ctx context.Context, req *tasktrackingv1.ReceiveOccurrenceRequest) (*tasktrackingv1.ReceiveOccurrenceResponse, error) {
	o, _, err := s.act(ctx, req.GetOccurrenceId(), tracking.Command{Action: tracking.ActionReceive})
	if err != nil {
		return nil, err
	}
	return &tasktrackingv1.ReceiveOccurrenceResponse{Occurrence: o}, nil
}

// StartOccurrence: received → in progress.
func (s *Server) StartOccurrence(ctx context.Context, req *tasktrackingv1.StartOccurrenceRequest) (*tasktrackingv1.StartOccurrenceResponse, error) {
	o, _, err := s.act(ctx, req.GetOccurrenceId(), tracking.Command{Action: tracking.ActionStart})
	if err != nil {
		return nil, err
	}
	return &tasktrackingv1.StartOccurrenceResponse{Occurrence: o}, nil
}

// ReportCompletion: in progress → completion reported.
func (s *Server) ReportCompletion(ctx context.Context, req *tasktrackingv1.ReportCompletionRequest) (*tasktrackingv1.ReportCompletionResponse, error) {
	o, _, err := s.act(ctx, req.GetOccurrenceId(), tracking.Command{Action: tracking.ActionReport, Reason: req.GetNote()})
	if err != nil {
		return nil, err
	}
	return &tasktrackingv1.ReportCompletionResponse{Occurrence: o}, nil
}

// ConfirmCompletion: completion reported → done.
func (s *Server) ConfirmCompletion(ctx context.Context, req *tasktrackingv1.ConfirmCompletionRequest) (*tasktrackingv1.ConfirmCompletionResponse, error) {
	o, _, err := s.act(ctx, req.GetOccurrenceId(), tracking.Command{Action: tracking.ActionConfirm, Reason: req.GetReason()})
	if err != nil {
		return nil, err
	}
	return &tasktrackingv1.ConfirmCompletionResponse{Occurrence: o}, nil
}

// ReturnOccurrence: completion reported → in progress.
func (s *Server) ReturnOccurrence(ctx context.Context, req *tasktrackingv1.ReturnOccurrenceRequest) (*tasktrackingv1.ReturnOccurrenceResponse, error) {
	o, _, err := s.act(ctx, req.GetOccurrenceId(), tracking.Command{Action: tracking.ActionReturn, Reason: req.GetReason()})
	if err != nil {
		return nil, err
	}
	return &tasktrackingv1.ReturnOccurrenceResponse{Occurrence: o}, nil
}

// RequestExtension asks for a later deadline.
func (s *Server) RequestExtension(ctx context.Context, req *tasktrackingv1.RequestExtensionRequest) (*tasktrackingv1.RequestExtensionResponse, error) {
	day, err := protoconv.ParseDate("proposed_due_date", req.GetProposedDueDate())
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	o, _, err := s.act(ctx, req.GetOccurrenceId(), tracking.Command{
		Action: tracking.ActionRequestExtension, Reason: req.GetReason(), ProposedDue: day,
	})
	if err != nil {
		return nil, err
	}
	return &tasktrackingv1.RequestExtensionResponse{Occurrence: o}, nil
}

// DecideExtension approves or refuses the pending request.
func (s *Server) DecideExtension(ctx context.Context, req *tasktrackingv1.DecideExtensionRequest) (*tasktrackingv1.DecideExtensionResponse, error) {
	action := tracking.ActionRefuseExtension
	if req.GetApprove() {
		action = tracking.ActionApproveExtension
	}
	o, c, err := s.act(ctx, req.GetOccurrenceId(), tracking.Command{Action: action, Reason: req.GetReason()})
	if err != nil {
		return nil, err
	}
	return &tasktrackingv1.DecideExtensionResponse{Occurrence: o, Extension: protoconv.ExtensionToProto(*c.Extension)}, nil
}

// RecallOccurrence withdraws the assignment.
func (s *Server) RecallOccurrence(ctx context.Context, req *tasktrackingv1.RecallOccurrenceRequest) (*tasktrackingv1.RecallOccurrenceResponse, error) {
	o, _, err := s.act(ctx, req.GetOccurrenceId(), tracking.Command{Action: tracking.ActionRecall, Reason: req.GetReason()})
	if err != nil {
		return nil, err
	}
	return &tasktrackingv1.RecallOccurrenceResponse{Occurrence: o}, nil
}

// CancelOccurrence cancels the occurrence.
func (s *Server) CancelOccurrence(ctx context.Context, req *tasktrackingv1.CancelOccurrenceRequest) (*tasktrackingv1.CancelOccurrenceResponse, error) {
	o, _, err := s.act(ctx, req.GetOccurrenceId(), tracking.Command{Action: tracking.ActionCancel, Reason: req.GetReason()})
	if err != nil {
		return nil, err
	}
	return &tasktrackingv1.CancelOccurrenceResponse{Occurrence: o}, nil
}

// ListOccurrenceHistory lists the changes of an occurrence.
func (s *Server) ListOccurrenceHistory(ctx context.Context, req *tasktrackingv1.ListOccurrenceHistoryRequest) (*tasktrackingv1.ListOccurrenceHistoryResponse, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	h, err := s.svc.History(ctx, req.GetOccurrenceId(), relation(p))
	if err != nil {
		return nil, s.toStatus(ctx, err, "")
	}
	resp := &tasktrackingv1.ListOccurrenceHistoryResponse{}
	for _, e := range h {
		resp.Entries = append(resp.Entries, protoconv.HistoryEntryToProto(e.ID, e.OccurrenceID, e.Change))
	}
	return resp, nil
}

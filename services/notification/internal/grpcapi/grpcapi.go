// Package grpcapi serves NotificationService: it maps requests to use cases, checks whose
// inbox a caller may read, and chooses the status code of every error in one place
// (toStatus).
package grpcapi

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	notificationv1 "github.com/parindex/platform/proto/gen/go/par/notification/v1"
	"github.com/parindex/platform/services/kit/apierr"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/page"
	"github.com/parindex/platform/services/notification/internal/app"
	"github.com/parindex/platform/services/notification/internal/inbox"
)

// Messages of the errors this package chooses itself.
const (
	msgUnauthenticated = "Chưa xác thực"
	msgOtherUnit       = "Bạn chỉ được xem hộp thư của đơn vị mình"
	msgNoInbox         = "Hệ thống và dịch vụ không có hộp thư; hệ thống của cơ quan nhận thông báo qua webhook"
	msgBadPageToken    = "Mã trang không hợp lệ; hãy tải lại danh sách từ đầu" // #nosec G101 -- a message shown to people, not a credential
)

// Server implements notificationv1.NotificationServiceServer.
type Server struct {
	notificationv1.UnimplementedNotificationServiceServer
	svc *app.Service
	log *slog.Logger
	// signals push new items to WatchInbox; watchPoll is its fallback poll.
	signals   app.InboxSignals
	watchPoll time.Duration
}

// DefaultWatchPoll is how often WatchInbox looks for new items when nothing was pushed.
const DefaultWatchPoll = 500 * time.Millisecond

// New returns a Server running the use cases of svc; log receives internal errors.
// WatchInbox polls every DefaultWatchPoll unless WithInboxSignals says otherwise.
func New(svc *app.Service, log *slog.Logger) *Server {
	return &Server{svc: svc, log: log, watchPoll: DefaultWatchPoll}
}

// WithInboxSignals makes WatchInbox wait for signals (new items pushed at commit) and poll
// only every poll, as a fallback.
func (s *Server) WithInboxSignals(signals app.InboxSignals, poll time.Duration) *Server {
	s.signals, s.watchPoll = signals, poll
	return s
}

// principal returns the authenticated caller. The auth interceptor has already rejected
// calls without a valid token; this guards against a server wired without it.
func principal(ctx context.Context) (auth.Principal, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return auth.Principal{}, status.Error(codes.Unauthenticated, msgUnauthenticated)
	}
	return p, nil
}

// mayRead says whether p may read the inbox of unitID: a person (a directory user) reads
// their own unit's; the secretariat, which follows up every unit, reads any. Systems and
// services have no inbox: agency systems are told through webhooks.
func mayRead(p auth.Principal, unitID string) bool {
	if p.HasRole(auth.RoleSecretariat) {
		return true
	}
	return mayMark(p, inbox.Item{UnitID: strings.TrimSpace(unitID)})
}

// mayReadItem says whether p may read an item: one addressed to p, or one of a unit whose
// inbox p may read. Another user's own items stay theirs, even for the secretariat.
func mayReadItem(p auth.Principal, it inbox.Item) bool {
	if it.UserID != "" {
		return mayMark(p, it)
	}
	return mayRead(p, it.UnitID)
}

// mayMark says whether p may mark an item read: only its addressee, or a person of its
// unit. The secretariat reads other units' items but does not mark them: that would take
// them off the unit's unread count.
func mayMark(p auth.Principal, it inbox.Item) bool {
	if !person(p) {
		return false
	}
	if it.UserID != "" {
		return p.UserID != "" && strings.EqualFold(p.UserID, it.UserID)
	}
	return p.UnitID != "" && strings.EqualFold(p.UnitID, it.UnitID)
}

// person says whether p acts for a person: holds a role people hold. Agency systems and
// services do not; they have no inbox (agency systems are told through webhooks).
func person(p auth.Principal) bool {
	return p.HasRole(auth.RoleSecretariat, auth.RoleLeadership, auth.RoleAppraiser, auth.RoleUnitHead, auth.RoleUnitStaff)
}

// ListUnitInboxItems lists a unit's inbox, newest first.
func (s *Server) ListUnitInboxItems(ctx context.Context, req *notificationv1.ListUnitInboxItemsRequest) (*notificationv1.ListUnitInboxItemsResponse, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if !person(p) {
		return nil, status.Error(codes.PermissionDenied, msgNoInbox)
	}
	if !mayRead(p, req.GetUnitId()) {
		return nil, status.Error(codes.PermissionDenied, msgOtherUnit)
	}
	pg, err := s.svc.UnitItems(ctx, app.ItemFilter{
		UnitID:     strings.ToLower(req.GetUnitId()),
		UnreadOnly: req.GetUnreadOnly(),
		PageSize:   req.GetPageSize(),
		PageToken:  req.GetPageToken(),
	})
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	resp := &notificationv1.ListUnitInboxItemsResponse{
		NextPageToken: pg.NextPageToken,
		UnreadCount:   int32(min(pg.UnreadCount, math.MaxInt32)), // #nosec G115 -- clamped to math.MaxInt32 by min
	}
	for _, it := range pg.Items {
		resp.Items = append(resp.Items, itemToProto(it))
	}
	return resp, nil
}

// MarkInboxItemRead marks an item read. An item the caller may not read answers NotFound,
// as if it did not exist, so ids cannot be probed; one they may read but not mark (the
// secretariat, on another unit's item) PermissionDenied.
func (s *Server) MarkInboxItemRead(ctx context.Context, req *notificationv1.MarkInboxItemReadRequest) (*notificationv1.MarkInboxItemReadResponse, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if !person(p) {
		return nil, status.Error(codes.PermissionDenied, msgNoInbox)
	}
	it, err := s.svc.Item(ctx, req.GetItemId())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	if !mayReadItem(p, it) {
		return nil, s.toStatus(ctx, inbox.ErrItemNotFound)
	}
	if !mayMark(p, it) {
		return nil, status.Error(codes.PermissionDenied, msgMarkOtherUnit)
	}
	it, err = s.svc.MarkRead(ctx, it.ID)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return &notificationv1.MarkInboxItemReadResponse{Item: itemToProto(it)}, nil
}

// toStatus is the one place that chooses a status code; anything unclassified is logged
// with its cause and masked.
func (s *Server) toStatus(ctx context.Context, err error) error {
	var badToken *page.InvalidTokenError
	if errors.As(err, &badToken) {
		return apierr.InvalidArgument("", apierr.FieldViolation{Field: page.TokenField, Description: msgBadPageToken})
	}
	var ve *app.ValidationError
	if errors.As(err, &ve) {
		return apierr.InvalidArgument("", apierr.FieldViolation{Field: ve.Field, Description: ve.Reason})
	}
	var de *inbox.Error
	if errors.As(err, &de) && errors.Is(de, inbox.ErrNotFound) {
		return status.Error(codes.NotFound, de.Message)
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "Yêu cầu đã bị hủy")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "Hết thời gian xử lý yêu cầu")
	}
	return apierr.Internal(ctx, s.log, err)
}

func itemToProto(it inbox.Item) *notificationv1.InboxItem {
	return &notificationv1.InboxItem{
		Id:         it.ID,
		UnitId:     it.UnitID,
		EventId:    it.EventID,
		EventType:  it.EventType,
		Title:      it.Title,
		Body:       it.Body,
		Link:       it.Link,
		Urgent:     it.Urgent,
		ReadTime:   timestamp(it.ReadTime),
		CreateTime: timestamp(it.CreateTime),
		UserId:     it.UserID,
	}
}

func timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

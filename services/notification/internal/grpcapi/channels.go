package grpcapi

import (
	"context"
	"math"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	notificationv1 "github.com/parindex/platform/proto/gen/go/par/notification/v1"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/notification/internal/app"
	"github.com/parindex/platform/services/notification/internal/inbox"
	"github.com/parindex/platform/services/notification/internal/notice"
)

const (
	msgSecretariatOnly = "Chỉ Văn phòng/Sở Nội vụ (thường trực) được thực hiện thao tác này" // #nosec G101 -- a message shown to people, not a credential
	msgNoUser          = "Tài khoản không gắn với người dùng trong danh bạ"
	msgMarkOtherUnit   = "Chỉ đơn vị nhận thông báo được đánh dấu đã đọc"
)

// secretariat returns the caller if they hold the secretariat role.
func secretariat(ctx context.Context) (auth.Principal, error) {
	p, err := principal(ctx)
	if err != nil {
		return p, err
	}
	if !p.HasRole(auth.RoleSecretariat) {
		return p, status.Error(codes.PermissionDenied, msgSecretariatOnly)
	}
	return p, nil
}

// user returns the caller if they are a directory user.
func user(ctx context.Context) (auth.Principal, error) {
	p, err := principal(ctx)
	if err != nil {
		return p, err
	}
	if p.UserID == "" {
		return p, status.Error(codes.PermissionDenied, msgNoUser)
	}
	return p, nil
}

// ListMyInboxItems lists the caller's items and their unit's.
func (s *Server) ListMyInboxItems(ctx context.Context, req *notificationv1.ListMyInboxItemsRequest) (*notificationv1.ListMyInboxItemsResponse, error) {
	p, err := user(ctx)
	if err != nil {
		return nil, err
	}
	pg, err := s.svc.UnitItems(ctx, app.ItemFilter{
		UserID: strings.ToLower(p.UserID), UnitID: strings.ToLower(p.UnitID),
		UnreadOnly: req.GetUnreadOnly(), UrgentOnly: req.GetUrgentOnly(), EventType: req.GetEventType(),
		PageSize: req.GetPageSize(), PageToken: req.GetPageToken(),
	})
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	resp := &notificationv1.ListMyInboxItemsResponse{
		NextPageToken: pg.NextPageToken,
		UnreadCount:   int32(min(pg.UnreadCount, math.MaxInt32)), // #nosec G115 -- clamped to math.MaxInt32 by min
	}
	for _, it := range pg.Items {
		resp.Items = append(resp.Items, itemToProto(it))
	}
	return resp, nil
}

// WatchInbox streams the caller's new items until they disconnect.
func (s *Server) WatchInbox(_ *notificationv1.WatchInboxRequest, stream grpc.ServerStreamingServer[notificationv1.WatchInboxResponse]) error {
	ctx := stream.Context()
	p, err := user(ctx)
	if err != nil {
		return err
	}
	// Headers at once: the client (and the gateway's HTTP response) knows the watch is open.
	if err := stream.SendHeader(metadata.MD{}); err != nil {
		return err
	}
	err = s.svc.WatchInbox(ctx, strings.ToLower(p.UserID), strings.ToLower(p.UnitID), s.signals, s.watchPoll, func(it inbox.Item) error {
		return stream.Send(&notificationv1.WatchInboxResponse{Item: itemToProto(it)})
	})
	if err != nil && ctx.Err() == nil {
		return s.toStatus(ctx, err)
	}
	return nil
}

var channelNames = map[notificationv1.Channel]string{
	notificationv1.Channel_CHANNEL_INBOX: notice.ChannelInbox,
	notificationv1.Channel_CHANNEL_EMAIL: notice.ChannelEmail,
}

var modeNames = map[notificationv1.DeliveryMode]string{
	notificationv1.DeliveryMode_DELIVERY_MODE_IMMEDIATE: notice.ModeImmediate,
	notificationv1.DeliveryMode_DELIVERY_MODE_DIGEST:    notice.ModeDigest,
	notificationv1.DeliveryMode_DELIVERY_MODE_OFF:       notice.ModeOff,
}

func reverse[K comparable, V comparable](m map[K]V) map[V]K {
	out := make(map[V]K, len(m))
	for k, v := range m {
		out[v] = k
	}
	return out
}

var (
	channelEnums = reverse(channelNames)
	modeEnums    = reverse(modeNames)
)

func preferencesToProto(ps []app.Preference) []*notificationv1.Preference {
	var out []*notificationv1.Preference
	for _, p := range ps {
		out = append(out, &notificationv1.Preference{EventType: p.EventType, Channel: channelEnums[p.Channel], Mode: modeEnums[p.Mode]})
	}
	return out
}

// GetPreferences returns the caller's choices.
func (s *Server) GetPreferences(ctx context.Context, _ *notificationv1.GetPreferencesRequest) (*notificationv1.GetPreferencesResponse, error) {
	p, err := user(ctx)
	if err != nil {
		return nil, err
	}
	ps, err := s.svc.Preferences(ctx, strings.ToLower(p.UserID))
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return &notificationv1.GetPreferencesResponse{Preferences: preferencesToProto(ps)}, nil
}

// UpdatePreferences replaces the caller's choices.
func (s *Server) UpdatePreferences(ctx context.Context, req *notificationv1.UpdatePreferencesRequest) (*notificationv1.UpdatePreferencesResponse, error) {
	p, err := user(ctx)
	if err != nil {
		return nil, err
	}
	var ps []app.Preference
	for _, pp := range req.GetPreferences() {
		ps = append(ps, app.Preference{EventType: pp.GetEventType(), Channel: channelNames[pp.GetChannel()], Mode: modeNames[pp.GetMode()]})
	}
	stored, err := s.svc.SetPreferences(ctx, strings.ToLower(p.UserID), ps)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return &notificationv1.UpdatePreferencesResponse{Preferences: preferencesToProto(stored)}, nil
}

func subscriptionToProto(sub notice.Subscription) *notificationv1.WebhookSubscription {
	return &notificationv1.WebhookSubscription{
		Id: sub.ID, Name: sub.Name, Url: sub.URL, EventTypes: sub.EventTypes, Active: sub.Active,
		CreateTime: timestamp(sub.CreateTime),
	}
}

// CreateWebhookSubscription registers an agency system (secretariat only).
func (s *Server) CreateWebhookSubscription(ctx context.Context, req *notificationv1.CreateWebhookSubscriptionRequest) (*notificationv1.CreateWebhookSubscriptionResponse, error) {
	if _, err := secretariat(ctx); err != nil {
		return nil, err
	}
	in := req.GetSubscription()
	sub, err := s.svc.CreateSubscription(ctx, notice.Subscription{Name: strings.TrimSpace(in.GetName()), URL: in.GetUrl(),
		Secret: in.GetSecret(), EventTypes: in.GetEventTypes()})
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return &notificationv1.CreateWebhookSubscriptionResponse{Subscription: subscriptionToProto(sub)}, nil
}

// ListWebhookSubscriptions lists active subscriptions (secretariat only).
func (s *Server) ListWebhookSubscriptions(ctx context.Context, _ *notificationv1.ListWebhookSubscriptionsRequest) (*notificationv1.ListWebhookSubscriptionsResponse, error) {
	if _, err := secretariat(ctx); err != nil {
		return nil, err
	}
	subs, err := s.svc.Subscriptions(ctx)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	resp := &notificationv1.ListWebhookSubscriptionsResponse{}
	for _, sub := range subs {
		resp.Subscriptions = append(resp.Subscriptions, subscriptionToProto(sub))
	}
	return resp, nil
}

// DeleteWebhookSubscription deactivates a subscription (secretariat only).
func (s *Server) DeleteWebhookSubscription(ctx context.Context, req *notificationv1.DeleteWebhookSubscriptionRequest) (*notificationv1.DeleteWebhookSubscriptionResponse, error) {
	if _, err := secretariat(ctx); err != nil {
		return nil, err
	}
	if err := s.svc.DeleteSubscription(ctx, strings.ToLower(req.GetSubscriptionId())); err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return &notificationv1.DeleteWebhookSubscriptionResponse{}, nil
}

func deliveryToProto(d notice.Delivery) *notificationv1.Delivery {
	return &notificationv1.Delivery{
		Id: d.ID, EventId: d.EventID, EventType: d.EventType, Channel: d.Channel, Recipient: d.Recipient,
		State: d.State, Attempts: int32(min(d.Attempts, math.MaxInt32)), LastError: d.LastError, CreateTime: timestamp(d.CreateTime), // #nosec G115 -- clamped to math.MaxInt32 by min
	}
}

// ListDeadDeliveries lists dead deliveries (secretariat only).
func (s *Server) ListDeadDeliveries(ctx context.Context, req *notificationv1.ListDeadDeliveriesRequest) (*notificationv1.ListDeadDeliveriesResponse, error) {
	if _, err := secretariat(ctx); err != nil {
		return nil, err
	}
	limit := int(req.GetPageSize())
	if limit == 0 {
		limit = 50
	}
	ds, err := s.svc.DeadDeliveries(ctx, limit)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	resp := &notificationv1.ListDeadDeliveriesResponse{}
	for _, d := range ds {
		resp.Deliveries = append(resp.Deliveries, deliveryToProto(d))
	}
	return resp, nil
}

// ReplayDelivery queues a dead delivery again (secretariat only).
func (s *Server) ReplayDelivery(ctx context.Context, req *notificationv1.ReplayDeliveryRequest) (*notificationv1.ReplayDeliveryResponse, error) {
	if _, err := secretariat(ctx); err != nil {
		return nil, err
	}
	d, err := s.svc.Replay(ctx, strings.ToLower(req.GetDeliveryId()))
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return &notificationv1.ReplayDeliveryResponse{Delivery: deliveryToProto(d)}, nil
}

// ListDeliveryAttempts lists a delivery's attempts (secretariat only).
func (s *Server) ListDeliveryAttempts(ctx context.Context, req *notificationv1.ListDeliveryAttemptsRequest) (*notificationv1.ListDeliveryAttemptsResponse, error) {
	if _, err := secretariat(ctx); err != nil {
		return nil, err
	}
	as, err := s.svc.Attempts(ctx, strings.ToLower(req.GetDeliveryId()))
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	resp := &notificationv1.ListDeliveryAttemptsResponse{}
	for i, a := range as {
		resp.Attempts = append(resp.Attempts, &notificationv1.DeliveryAttempt{
			Attempt: int32(i + 1), Outcome: a.Outcome, Detail: a.Detail, DurationMs: a.Duration.Milliseconds(),
			AttemptTime: timestamppb.New(a.At),
		})
	}
	return resp, nil
}

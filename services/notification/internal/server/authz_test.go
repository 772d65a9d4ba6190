package server_test

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	notificationv1 "github.com/parindex/platform/proto/gen/go/par/notification/v1"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/auth/authtest"
	"github.com/parindex/platform/services/notification/internal/inbox"
	"github.com/parindex/platform/services/notification/internal/notice"
	"github.com/parindex/platform/services/notification/internal/postgres"
)

// The units of the matrix: the inbox under test is the Department of Justice's; Finance
// is another unit; Home Affairs hosts the secretariat and the appraisers.
var (
	azJustice  = uuid.NewString()
	azFinance  = uuid.NewString()
	azHome     = uuid.NewString()
	azProvince = uuid.NewString()
)

func azPerson(unit string, roles ...string) *auth.Principal {
	id := uuid.NewString()
	return &auth.Principal{Subject: "s-" + id, UserID: id, UnitID: unit, Name: "Người dùng " + id[:4], Roles: roles}
}

// authzCallers are the columns of the matrix, in the order of the expectation strings.
// Systems and services carry no user id (kit/auth): they have no inbox.
var authzCallers = []struct {
	name string
	p    *auth.Principal // nil: no token, the public
}{
	{"secretariat", azPerson(azHome, auth.RoleSecretariat)},
	{"leadership", azPerson(azProvince, auth.RoleLeadership)},
	{"appraiser", azPerson(azHome, auth.RoleAppraiser)},
	{"own unit head", azPerson(azJustice, auth.RoleUnitHead)},
	{"own unit staff", azPerson(azJustice, auth.RoleUnitStaff)},
	{"other unit head", azPerson(azFinance, auth.RoleUnitHead)},
	{"other unit staff", azPerson(azFinance, auth.RoleUnitStaff)},
	{"agency system of the own unit", &auth.Principal{Subject: "client:stp", UnitID: azJustice, Roles: []string{auth.RoleAgencySystem}}},
	{"agency system of another unit", &auth.Principal{Subject: "client:stc", UnitID: azFinance, Roles: []string{auth.RoleAgencySystem}}},
	{"service", &auth.Principal{Subject: "svc-tasktracking", Roles: []string{auth.RoleService}}},
	// A person whose token names no directory user (as the devstack's e2e tokens): reads
	// and marks the unit's inbox, has no inbox or preferences of their own.
	{"own unit staff without a user", &auth.Principal{Subject: "e2e.staff", UnitID: azJustice, Roles: []string{auth.RoleUnitStaff}}},
	{"public", nil},
}

// ownStaff is the caller whose personal item the matrix also tries.
const ownStaff = 4

// TestAuthorisationMatrix walks every RPC of NotificationService for every role, on the
// own unit's inbox and another's (issue 6, item 7): a person reads only their own items and
// their unit's (the secretariat follows up every unit's, but marks none read); only the
// secretariat manages webhook subscriptions and dead letters; systems and services have no
// inbox; without a token nothing.
//
// Expectations, one letter per caller:
//
//	O  answered OK (for a row that looks for something: it was there)
//	A  allowed: past authorisation (OK, or a refusal about state or input)
//	D  PermissionDenied: the caller may see the thing but not do this
//	H  NotFound: the caller must not learn the thing exists
//	U  Unauthenticated
//
// Rows are named "<RPC>" or "<RPC>: <aspect>"; every RPC of the service needs a row.
func TestAuthorisationMatrix(t *testing.T) {
	e := newEnv(t)
	svc := e.start(t, io.Discard)
	store := postgres.New(e.pool)
	now := time.Now()
	unitItem := inbox.Item{ID: uuid.Must(uuid.NewV7()).String(), UnitID: azJustice, EventID: uuid.NewString(),
		EventType: "tasktracking.v1.task.assigned", Title: "Nhiệm vụ mới: III.3 — Kế hoạch 56/KH-UBND", Body: "Nội dung", CreateTime: now}
	ownItem := inbox.Item{ID: uuid.Must(uuid.NewV7()).String(), UserID: authzCallers[ownStaff].p.UserID, EventID: uuid.NewString(),
		EventType: "accountability.v1.explanation.requested", Title: "Yêu cầu giải trình", Body: "Nội dung", Urgent: true, CreateTime: now}
	if _, err := store.AddItems(t.Context(), []inbox.Item{unitItem, ownItem}); err != nil {
		t.Fatal(err)
	}
	// Dead deliveries to replay, one per caller that may, and a subscription to delete.
	dead := func() string {
		t.Helper()
		id := uuid.NewString()
		if _, err := store.AddDeliveries(t.Context(), []notice.Delivery{{ID: id, EventID: uuid.NewString(), EventType: "tasktracking.v1.task.assigned",
			Channel: notice.ChannelWebhook, Recipient: uuid.NewString(), Body: []byte(`{}`), State: notice.StateDead, NextAttempt: now, CreateTime: now}}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	subID := uuid.NewString()
	if err := store.CreateSubscription(t.Context(), notice.Subscription{ID: subID, Name: "Hệ thống một cửa", URL: "https://motcua.example.gov.vn/hook",
		Secret: "bí mật", CreateTime: now}); err != nil {
		t.Fatal(err)
	}
	c := svc.client
	rpcs := []struct {
		rpc  string
		want string
		call func(ctx context.Context) error
	}{
		{"ListUnitInboxItems", "ODDOODDDDDOU", func(ctx context.Context) error {
			resp, err := c.ListUnitInboxItems(ctx, &notificationv1.ListUnitInboxItemsRequest{UnitId: azJustice})
			return authtest.Found(err, slices.ContainsFunc(resp.GetItems(), func(it *notificationv1.InboxItem) bool { return it.GetId() == unitItem.ID }))
		}},
		{"MarkInboxItemRead: the unit's item", "DHHOOHHDDDOU", func(ctx context.Context) error {
			_, err := c.MarkInboxItemRead(ctx, &notificationv1.MarkInboxItemReadRequest{ItemId: unitItem.ID})
			return err
		}},
		{"MarkInboxItemRead: a staff member's own item", "HHHHOHHDDDHU", func(ctx context.Context) error {
			_, err := c.MarkInboxItemRead(ctx, &notificationv1.MarkInboxItemReadRequest{ItemId: ownItem.ID})
			return err
		}},
		{"ListMyInboxItems: the unit's item", "HHHOOHHDDDDU", func(ctx context.Context) error {
			resp, err := c.ListMyInboxItems(ctx, &notificationv1.ListMyInboxItemsRequest{})
			return authtest.Found(err, slices.ContainsFunc(resp.GetItems(), func(it *notificationv1.InboxItem) bool { return it.GetId() == unitItem.ID }))
		}},
		{"ListMyInboxItems: a staff member's own item", "HHHHOHHDDDDU", func(ctx context.Context) error {
			resp, err := c.ListMyInboxItems(ctx, &notificationv1.ListMyInboxItemsRequest{})
			return authtest.Found(err, slices.ContainsFunc(resp.GetItems(), func(it *notificationv1.InboxItem) bool { return it.GetId() == ownItem.ID }))
		}},
		{"WatchInbox", "OOOOOOODDDDU", func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			stream, err := c.WatchInbox(ctx, &notificationv1.WatchInboxRequest{})
			if err != nil {
				return err
			}
			md, err := stream.Header()
			if err != nil {
				return err
			}
			if md == nil { // ended without headers: the status says why
				_, err = stream.Recv()
				return err
			}
			return nil
		}},
		{"GetPreferences", "OOOOOOODDDDU", func(ctx context.Context) error {
			_, err := c.GetPreferences(ctx, &notificationv1.GetPreferencesRequest{})
			return err
		}},
		{"UpdatePreferences", "OOOOOOODDDDU", func(ctx context.Context) error {
			_, err := c.UpdatePreferences(ctx, &notificationv1.UpdatePreferencesRequest{Preferences: []*notificationv1.Preference{{
				EventType: "tasktracking.v1.task.assigned", Channel: notificationv1.Channel_CHANNEL_EMAIL, Mode: notificationv1.DeliveryMode_DELIVERY_MODE_DIGEST}}})
			return err
		}},
		{"CreateWebhookSubscription", "ADDDDDDDDDDU", func(ctx context.Context) error {
			_, err := c.CreateWebhookSubscription(ctx, &notificationv1.CreateWebhookSubscriptionRequest{Subscription: &notificationv1.WebhookSubscription{
				Name: "Hệ thống quản lý văn bản", Url: "https://vanban.example.gov.vn/hook", Secret: "một bí mật đủ dài cho HMAC"}})
			return err
		}},
		{"ListWebhookSubscriptions", "ODDDDDDDDDDU", func(ctx context.Context) error {
			_, err := c.ListWebhookSubscriptions(ctx, &notificationv1.ListWebhookSubscriptionsRequest{})
			return err
		}},
		{"DeleteWebhookSubscription", "ODDDDDDDDDDU", func(ctx context.Context) error {
			_, err := c.DeleteWebhookSubscription(ctx, &notificationv1.DeleteWebhookSubscriptionRequest{SubscriptionId: subID})
			return err
		}},
		{"ListDeadDeliveries", "ODDDDDDDDDDU", func(ctx context.Context) error {
			_, err := c.ListDeadDeliveries(ctx, &notificationv1.ListDeadDeliveriesRequest{})
			return err
		}},
		{"ReplayDelivery", "ODDDDDDDDDDU", func(ctx context.Context) error {
			_, err := c.ReplayDelivery(ctx, &notificationv1.ReplayDeliveryRequest{DeliveryId: dead()})
			return err
		}},
		{"ListDeliveryAttempts", "ODDDDDDDDDDU", func(ctx context.Context) error {
			_, err := c.ListDeliveryAttempts(ctx, &notificationv1.ListDeliveryAttemptsRequest{DeliveryId: dead()})
			return err
		}},
	}

	// Every RPC of the service has a row.
	covered := map[string]bool{}
	for _, r := range rpcs {
		covered[strings.SplitN(r.rpc, ":", 2)[0]] = true
		if len(r.want) != len(authzCallers) {
			t.Fatalf("%s: %d expectations for %d callers", r.rpc, len(r.want), len(authzCallers))
		}
	}
	authtest.RequireEveryMethod(t, func(m string) bool { return covered[m] },
		notificationv1.File_par_notification_v1_notification_proto.Services().ByName("NotificationService"))

	for _, r := range rpcs {
		for i, caller := range authzCallers {
			t.Run(r.rpc+"/"+strings.ReplaceAll(caller.name, " ", "_"), func(t *testing.T) {
				ctx := t.Context()
				if caller.p != nil {
					ctx = e.as(ctx, t, *caller.p)
				}
				err := r.call(ctx)
				authtest.CheckOutcome(t, r.want[i], err)
			})
		}
	}
}

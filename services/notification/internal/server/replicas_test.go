package server_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/google/uuid"

	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
)

// TestTwoReplicasNotifyOnce runs two instances of the service on one database and one
// JetStream, sharing the durable consumers: each (event, recipient, channel) gets one inbox
// item and one e-mail, and each event is recorded processed once. (Redelivery of one event
// is covered by the events and kit/consumer tests.)
func TestTwoReplicasNotifyOnce(t *testing.T) {
	e := newEnv(t)
	units := [3]string{uuid.NewString(), uuid.NewString(), uuid.NewString()}
	for i, u := range units {
		e.dir.AddUser(uuid.NewString(), u, fmt.Sprintf("canbo%d@tinh.gov.vn", i), "Cán bộ", directoryv1.Role_ROLE_UNIT_STAFF)
	}
	e.start(t, io.Discard)
	e.start(t, io.Discard)
	const events = 100
	ids := make([]string, events)
	for i := range ids {
		ids[i] = uuid.NewString()
		ev := taskAssigned(fmt.Sprintf("T.%d", i), units[0], units[1], units[2])
		if err := e.publish(context.Background(), ids[i], ev, ""); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var processed int
		if err := e.pool.QueryRow(t.Context(), `SELECT count(*) FROM processed_events WHERE consumer = 'notification-tasks'`).Scan(&processed); err != nil {
			t.Fatal(err)
		}
		if processed >= events {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d events processed after 30 s", processed, events)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // let any stray second handling land, if there were one
	var items, mails, wrongItems, wrongMails int
	err := e.pool.QueryRow(t.Context(), `SELECT
		(SELECT count(*) FROM inbox_items), (SELECT count(*) FROM deliveries WHERE channel = 'email'),
		(SELECT count(*) FROM (SELECT event_id FROM inbox_items GROUP BY event_id HAVING count(*) <> 3) w),
		(SELECT count(*) FROM (SELECT event_id FROM deliveries GROUP BY event_id HAVING count(*) <> 3) w)`).
		Scan(&items, &mails, &wrongItems, &wrongMails)
	if err != nil {
		t.Fatal(err)
	}
	if items != 3*events || mails != 3*events || wrongItems != 0 || wrongMails != 0 {
		t.Errorf("%d items and %d e-mails (want %d each); %d events with other than 3 items, %d with other than 3 e-mails",
			items, mails, 3*events, wrongItems, wrongMails)
	}
}

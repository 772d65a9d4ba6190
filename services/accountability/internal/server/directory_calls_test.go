package server_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/types/known/timestamppb"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/auth"
)

// TestDirectoryCallsOutsideTransactions: evaluating, publishing, listing, deciding and
// re-running the explanation triggers ask the directory about units in bulk, level by level of the unit tree, and before the database
// transaction opens — never while a transaction of the request is waiting for the directory.
// Every directory call looks at the service's database: a session idle inside a transaction
// after a statement of its own (not the outbox relay's, which holds its transaction while it
// publishes, nor one that has only just begun, as the relay and the consumer do between
// their BEGIN and first statement) means the request called the directory from inside its
// transaction. The results consumer's handler runs inside kit/consumer's transaction, which
// has already recorded the event: it must ask the directory before its own first write, and
// a republication asks again but opens no second request.
func TestDirectoryCallsOutsideTransactions(t *testing.T) {
	const communes = 6
	dir := thaiBinhDirectory()
	dir.units[vuThu] = true
	dir.parents[vuThu] = province
	var ids []string
	for i := range communes {
		id := fmt.Sprintf("0190a000-0000-7000-8000-0000000004%02d", i)
		ids = append(ids, id)
		dir.units[id] = true
		dir.parents[id] = vuThu
	}
	h := start(t, startDirectory(t, dir))
	eval := accountabilityv1.NewEvaluationServiceClient(h.conn)
	secretariat := h.tokenFor(t, "u-snv", homeAffair, auth.RoleSecretariat)
	vuThuHead := h.tokenFor(t, "u-vt", vuThu, auth.RoleUnitHead)
	importDefaultMatrix(t, h, secretariat, 2024)
	for _, id := range ids {
		// Below 60: not completed, so publishing proposes criticism (Art. 19.2.a).
		publishResult(t, h.js, uuid.NewString(), unitIndex(2024, id, "commune", "55.00"))
	}
	// Falls on the provincial index (fields 3 and 8, Art. 14.1) and on Justice's and Vũ
	// Thư's own indexes (Art. 15.7), for the triggers to re-run.
	publishResult(t, h.js, uuid.NewString(), provincial2024())
	dir.units[vuThu] = true
	publishResult(t, h.js, uuid.NewString(), unitIndex2024("department", justice, "2"))
	publishResult(t, h.js, uuid.NewString(), unitIndex2024("district", vuThu, "1"))
	if n := len(waitExplanations(t, h, secretariat, 2024, 4)); n != 4 {
		t.Fatalf("%d explanation requests, want 4", n)
	}
	// Wait until every commune index is consumed.
	deadline := time.Now().Add(callTimeout)
	for {
		res, err := eval.EvaluateHeads(ctx(t, vuThuHead), &accountabilityv1.EvaluateHeadsRequest{ProvinceUnitId: province, Year: 2024})
		if err == nil && len(res.GetEvaluations()) == communes {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("evaluated %d communes (%v), want %d", len(res.GetEvaluations()), err, communes)
		}
		time.Sleep(50 * time.Millisecond)
	}

	pool, err := pgxpool.New(t.Context(), h.databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	var mu sync.Mutex
	var inTx []string
	// consuming is set while a step waits for the results consumer. kit/consumer records the
	// event in processed_events in its transaction before the handler runs, so the handler
	// can only ask the directory before its own first write: what is checked then is that no
	// session waiting in a transaction holds a write lock on a table other than
	// processed_events (published results, explanations, the outbox).
	var consuming atomic.Bool
	dir.mu.Lock()
	dir.onCall = func(method string) {
		var open string
		q := `SELECT coalesce(string_agg(query, ' | '), '') FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'
				AND query NOT ILIKE '%outbox%' AND query NOT ILIKE '%advisory%' AND lower(query) <> 'begin'`
		if consuming.Load() {
			q = `SELECT coalesce(string_agg(DISTINCT c.relname || ' after ' || a.query, ' | '), '')
				FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid JOIN pg_class c ON c.oid = l.relation
				WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.state LIKE 'idle in transaction%'
					AND l.mode = 'RowExclusiveLock' AND c.relname NOT LIKE 'processed_events%'
					AND a.query NOT ILIKE '%outbox%'`
		}
		err := pool.QueryRow(context.Background(), q).Scan(&open)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			inTx = append(inTx, method+": "+err.Error())
		} else if open != "" {
			inTx = append(inTx, method+" while "+open)
		}
	}
	dir.mu.Unlock()
	dir.counts()

	steps := []struct {
		name string
		call func() error
		// most are the most calls per method: one BatchGetUnits per level of the tree
		// (communes, district, province) and one head per commune evaluated.
		most map[string]int
	}{
		{"evaluate", func() error {
			_, err := eval.EvaluateHeads(ctx(t, vuThuHead), &accountabilityv1.EvaluateHeadsRequest{ProvinceUnitId: province, Year: 2024})
			return err
		}, map[string]int{"BatchGetUnits": 3, "GetHeadOnDate": communes}},
		{"list", func() error {
			_, err := eval.ListEvaluations(ctx(t, vuThuHead), &accountabilityv1.ListEvaluationsRequest{ProvinceUnitId: province, Year: 2024})
			return err
		}, map[string]int{"BatchGetUnits": 3}},
		{"publish", func() error {
			_, err := eval.PublishEvaluations(ctx(t, vuThuHead), &accountabilityv1.PublishEvaluationsRequest{ProvinceUnitId: province, Year: 2024})
			return err
		}, map[string]int{"BatchGetUnits": 3}},
		{"list proposals", func() error {
			_, err := eval.ListSanctionProposals(ctx(t, vuThuHead), &accountabilityv1.ListSanctionProposalsRequest{ProvinceUnitId: province, Year: 2024})
			return err
		}, map[string]int{"BatchGetUnits": 3}},
		{"run triggers", func() error {
			_, err := h.explanations.RunExplanationTriggers(ctx(t, secretariat), &accountabilityv1.RunExplanationTriggersRequest{ProvinceUnitId: province, Year: 2024})
			return err
		}, map[string]int{"BatchGetUnits": 3, "GetHeadOnDate": 4}},
		{"decide", func() error {
			res, err := eval.ListSanctionProposals(ctx(t, vuThuHead), &accountabilityv1.ListSanctionProposalsRequest{ProvinceUnitId: province, Year: 2024})
			if err != nil {
				return err
			}
			if len(res.GetProposals()) != communes {
				return fmt.Errorf("%d proposals, want %d", len(res.GetProposals()), communes)
			}
			_, err = eval.DecideSanctionProposal(ctx(t, vuThuHead), &accountabilityv1.DecideSanctionProposalRequest{Id: res.GetProposals()[0].GetId(), Approve: true, Note: "Phê bình"})
			return err
		}, map[string]int{"BatchGetUnits": 6}},
		// The results consumer: the provincial index of 2025 (fields 3 and 8 fell: the heads of
		// their two owners) and Vũ Thư's own index (its province, level by level, and its head).
		{"consume provincial", func() error {
			return consume(t, h, pool, uuid.NewString(), provincial2025())
		}, map[string]int{"GetHeadOnDate": 2}},
		{"consume own index", func() error {
			ev := unitIndex2024("district", vuThu, "1")
			ev.Year = 2025
			return consume(t, h, pool, uuid.NewString(), ev)
		}, map[string]int{"BatchGetUnits": 2, "GetHeadOnDate": 1}},
		// A republication asks again but opens nothing.
		{"consume republication", func() error {
			return consume(t, h, pool, uuid.NewString(), provincial2025())
		}, map[string]int{"GetHeadOnDate": 2}},
	}
	for _, st := range steps {
		consuming.Store(strings.HasPrefix(st.name, "consume ")) // a step of the results consumer
		if err := st.call(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got := dir.counts()
		if strings.HasPrefix(st.name, "consume ") && got["GetHeadOnDate"] == 0 {
			t.Errorf("%s: the consumer asked for no head (calls %v): nothing was checked", st.name, got)
		}
		for m, n := range got {
			if n > st.most[m] {
				t.Errorf("%s: %d %s calls, want at most %d (calls %v)", st.name, n, m, st.most[m], got)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(inTx) > 0 {
		t.Errorf("directory called while a transaction was open: %v", inTx)
	}
	// Exactly once: one request per node fallen in 2025, whatever was redelivered.
	if n := len(waitExplanations(t, h, secretariat, 2025, 3)); n != 3 {
		t.Errorf("%d explanation requests for 2025, want 3", n)
	}
}

// provincial2025 is provincial2024 a year on (the 2024 matrix stays in force).
func provincial2025() *parscoringv1.SubjectResultPublished {
	ev := provincial2024()
	ev.Year, ev.SnapshotId = 2025, "0190b000-0000-7000-8000-000000000025"
	ev.PublishTime = timestamppb.New(time.Date(2026, 5, 10, 3, 0, 0, 0, time.UTC))
	return ev
}

// consume publishes ev under id and waits until the results consumer committed it.
func consume(t *testing.T, h *harness, pool *pgxpool.Pool, id string, ev *parscoringv1.SubjectResultPublished) error {
	t.Helper()
	publishResult(t, h.js, id, ev)
	deadline := time.Now().Add(callTimeout)
	for {
		var done bool
		if err := pool.QueryRow(t.Context(), `SELECT EXISTS (SELECT 1 FROM processed_events WHERE event_id = $1)`, id).Scan(&done); err != nil {
			return err
		}
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("event %s not consumed", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

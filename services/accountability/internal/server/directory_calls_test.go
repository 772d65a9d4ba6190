package server_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	"github.com/parindex/platform/services/kit/auth"
)

// TestDirectoryCallsOutsideTransactions: evaluating, publishing, listing, deciding and
// re-running the explanation triggers ask the directory about units in bulk, level by level of the unit tree, and before the database
// transaction opens — never while a transaction of the request is waiting for the directory.
// Every directory call looks at the service's database: a session idle inside a transaction
// after a statement of its own (not the outbox relay's, which holds its transaction while it
// publishes, nor one that has only just begun, as the relay and the consumer do between
// their BEGIN and first statement) means the request called the directory from inside its
// transaction.
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
	dir.mu.Lock()
	dir.onCall = func(method string) {
		var open string
		err := pool.QueryRow(context.Background(), `SELECT coalesce(string_agg(query, ' | '), '') FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'
				AND query NOT ILIKE '%outbox%' AND query NOT ILIKE '%advisory%' AND lower(query) <> 'begin'`).Scan(&open)
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
	}
	for _, st := range steps {
		if err := st.call(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got := dir.counts()
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
}

package postgres

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/parindex/platform/services/kit/pg/pgtest"
	"github.com/parindex/platform/services/parscoring/internal/app"
	"github.com/parindex/platform/services/parscoring/internal/methodology"
	"github.com/parindex/platform/services/parscoring/internal/results"
)

// The benchmark's size: PAR_BENCH_UNITS units × PAR_BENCH_LEAVES leaf items (defaults 10,000
// × 100: the million scores of issue 4). Set smaller values for a quick run.
func benchSize(b *testing.B) (units, leaves int) {
	get := func(name string, def int) int {
		if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
			return v
		}
		return def
	}
	units, leaves = get("PAR_BENCH_UNITS", 10_000), get("PAR_BENCH_LEAVES", 100)
	if leaves%10 != 0 {
		b.Fatalf("PAR_BENCH_LEAVES must be a multiple of 10 (ten fields), got %d", leaves)
	}
	return units, leaves
}

// benchFixture is a database with a criteria set of ten fields of leaves/10 leaves each, and
// the leaf scores of every unit for one year, in memory and in a plain table for the raw
// SQL baseline.
type benchFixture struct {
	pool     *pgxpool.Pool
	res      *app.Results
	setID    string
	units    []string
	subjects func(seed uint64) []results.SubjectInput
}

func newBenchFixture(b *testing.B) *benchFixture {
	b.Helper()
	nUnits, nLeaves := benchSize(b)
	pool := newPool(b)
	store := NewStore(pool)
	perField := nLeaves / 10
	set := methodology.CriteriaSet{ID: uuid.NewString(), Year: 2001, SubjectKind: "department", Name: "Bộ tiêu chí đo hiệu năng",
		MaxPoints: methodology.MustParsePoints("100"), CreateTime: time.Now().UTC().Truncate(time.Microsecond)}
	leafMax := methodology.Points(1000 / perField) // hundredths: a field of 10 points split evenly
	for f := 1; f <= 10; f++ {
		set.Nodes = append(set.Nodes, methodology.Node{Code: strconv.Itoa(f), Name: fmt.Sprintf("Lĩnh vực %d", f),
			MaxPoints: leafMax * methodology.Points(perField), PointSource: methodology.SourceAppraised, Position: f})
		for l := 1; l <= perField; l++ {
			set.Nodes = append(set.Nodes, methodology.Node{Code: fmt.Sprintf("%d.%d", f, l), ParentCode: strconv.Itoa(f),
				Name: fmt.Sprintf("Tiêu chí %d.%d", f, l), MaxPoints: leafMax, PointSource: methodology.SourceAppraised, Position: l})
		}
	}
	set.MaxPoints = leafMax * methodology.Points(nLeaves)
	if err := store.CreateCriteriaSet(b.Context(), set); err != nil {
		b.Fatal(err)
	}
	fx := &benchFixture{pool: pool, res: app.NewResults(store, nil), setID: set.ID, units: make([]string, nUnits)}
	for i := range fx.units {
		fx.units[i] = uuid.NewString()
	}
	var leafCodes []string
	for _, n := range set.Nodes {
		if n.ParentCode != "" {
			leafCodes = append(leafCodes, n.Code)
		}
	}
	fx.subjects = func(seed uint64) []results.SubjectInput {
		rng := rand.New(rand.NewPCG(seed, 7))
		out := make([]results.SubjectInput, nUnits)
		for k, u := range fx.units {
			group := "department"
			if k%3 == 0 {
				group = "district"
			}
			scores := make([]results.ItemScore, len(leafCodes))
			for j, c := range leafCodes {
				// Scores in quarter points make ties frequent, as real scoring does.
				scores[j] = results.ItemScore{Code: c, Score: methodology.Points(rng.Int64N(int64(leafMax)/25+1) * 25)}
			}
			out[k] = results.SubjectInput{UnitID: u, Name: fmt.Sprintf("Đơn vị %d", k), PeerGroup: group, Scores: scores}
		}
		return out
	}
	return fx
}

// newPool is pgtest's fresh database with the service's migrations.
func newPool(b *testing.B) *pgxpool.Pool {
	b.Helper()
	return pgtest.NewPool(b, Migrations())
}

// heapPeak samples the Go heap in use every few milliseconds until stopped, and reports the
// highest value seen: the memory peak of what runs meanwhile.
func heapPeak() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}

// rawAggregate is the baseline: the plain table of the same leaf scores and one SQL
// aggregate computing every unit's total and its rank within its peer group, read to the
// end. It returns the fastest of three runs.
func rawAggregate(b *testing.B, fx *benchFixture, subjects []results.SubjectInput) time.Duration {
	b.Helper()
	ctx := b.Context()
	if _, err := fx.pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS bench_scores (unit_id uuid, peer_group text, code text, score bigint)`); err != nil {
		b.Fatal(err)
	}
	if _, err := fx.pool.Exec(ctx, `TRUNCATE bench_scores`); err != nil {
		b.Fatal(err)
	}
	var rows [][]any
	for _, s := range subjects {
		for _, sc := range s.Scores {
			rows = append(rows, []any{s.UnitID, s.PeerGroup, sc.Code, int64(sc.Score)})
		}
	}
	if _, err := fx.pool.CopyFrom(ctx, pgx.Identifier{"bench_scores"}, []string{"unit_id", "peer_group", "code", "score"}, pgx.CopyFromRows(rows)); err != nil {
		b.Fatal(err)
	}
	if _, err := fx.pool.Exec(ctx, `ANALYZE bench_scores`); err != nil {
		b.Fatal(err)
	}
	best := time.Duration(1 << 62)
	for range 3 {
		start := time.Now()
		r, _ := fx.pool.Query(ctx, `
			SELECT unit_id, total, rank() OVER (PARTITION BY peer_group ORDER BY total DESC)
			FROM (SELECT unit_id, peer_group, sum(score) AS total FROM bench_scores GROUP BY unit_id, peer_group) t`)
		n := 0
		for r.Next() {
			n++
		}
		if err := r.Err(); err != nil || n != len(subjects) {
			b.Fatalf("raw aggregate: %d rows, %v", n, err)
		}
		best = min(best, time.Since(start))
	}
	return best
}

// BenchmarkPublishResults publishes the results of every unit (totals, ranks at every node
// and for the total within two peer groups, grades, year-on-year changes against the
// previous iteration's snapshot, events through the outbox) and compares with one raw SQL
// aggregate (totals and ranks only) over the same leaf scores in the same run.
// Metrics: ms/publish, raw-sql-ms, x-raw-sql (ratio), peak-heap-MB, peak-RSS-MB.
func BenchmarkPublishResults(b *testing.B) {
	fx := newBenchFixture(b)
	year := 2001
	// Year 2001 as the previous snapshot, so every measured publication computes changes.
	if _, err := fx.res.Publish(b.Context(), app.PublishCommand{Year: year, CriteriaSetID: fx.setID, Subjects: fx.subjects(1)}); err != nil {
		b.Fatal(err)
	}
	inputs := fx.subjects(2)
	raw := rawAggregate(b, fx, inputs)
	runtime.GC()

	stop := heapPeak()
	var spent time.Duration
	b.ResetTimer()
	for b.Loop() {
		year++
		in := fx.subjects(uint64(year))
		start := time.Now()
		if _, err := fx.res.Publish(b.Context(), app.PublishCommand{Year: year, CriteriaSetID: fx.setID, Subjects: in}); err != nil {
			b.Fatal(err)
		}
		spent += time.Since(start)
		// The relay would have published and, after its retention, deleted these events;
		// without it they would pile up across iterations and slow each next COPY.
		if _, err := fx.pool.Exec(b.Context(), `TRUNCATE outbox_events`); err != nil {
			b.Fatal(err)
		}
	}
	peak := stop()
	per := spent / time.Duration(b.N)
	b.ReportMetric(float64(per.Milliseconds()), "ms/publish")
	b.ReportMetric(float64(raw.Microseconds())/1000, "raw-sql-ms")
	b.ReportMetric(float64(per)/float64(raw), "x-raw-sql")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB") // Linux reports kilobytes
	}
}

// BenchmarkScorecardRead reads the scorecards of random units of a published snapshot and
// reports the p50 and p99 latency, against the raw read of the same unit's row.
func BenchmarkScorecardRead(b *testing.B) {
	fx := newBenchFixture(b)
	for _, y := range []int{2001, 2002} {
		if _, err := fx.res.Publish(b.Context(), app.PublishCommand{Year: y, CriteriaSetID: fx.setID, Subjects: fx.subjects(uint64(y))}); err != nil {
			b.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var lat, rawLat []time.Duration
	b.ResetTimer()
	for b.Loop() {
		u := fx.units[rng.IntN(len(fx.units))]
		start := time.Now()
		ur, err := fx.res.Scorecard(b.Context(), u, 2002)
		if err != nil || ur.Subject.PrevTotal == results.NoScore {
			b.Fatalf("scorecard of %s: %v", u, err)
		}
		lat = append(lat, time.Since(start))

		start = time.Now()
		var scores []int64
		if err := fx.pool.QueryRow(b.Context(), `SELECT s.scores FROM result_subject s JOIN result_snapshot n ON n.id = s.snapshot_id
			WHERE s.unit_id = $1 AND n.year = 2002`, u).Scan(&scores); err != nil {
			b.Fatal(err)
		}
		rawLat = append(rawLat, time.Since(start))
	}
	pct := func(d []time.Duration, p float64) float64 {
		slices.Sort(d)
		return float64(d[int(float64(len(d)-1)*p)].Microseconds()) / 1000
	}
	b.ReportMetric(pct(lat, 0.50), "p50-ms")
	b.ReportMetric(pct(lat, 0.99), "p99-ms")
	b.ReportMetric(pct(rawLat, 0.99), "raw-p99-ms")
	b.ReportMetric(pct(lat, 0.99)/pct(rawLat, 0.99), "x-raw-p99")
}

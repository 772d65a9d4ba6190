package protoconv_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/tasktracking/internal/protoconv"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

func TestRoundTrip(t *testing.T) {
	in := &tasktrackingv1.Document{
		Number: "13/CT-UBND", Kind: tasktrackingv1.DocumentKind_DOCUMENT_KIND_DIRECTIVE,
		IssuerUnitId: "0190a1b2-0000-7000-8000-000000000001", SignedOn: "2018-09-04",
		Title: "Chỉ thị về nâng cao Chỉ số CCHC", PeriodStartYear: 2018, PeriodEndYear: 2018,
		Tasks: []*tasktrackingv1.Task{{
			Code: "2.2", Group: tasktrackingv1.TaskGroup_TASK_GROUP_DIRECTION, Content: "Xây dựng kế hoạch khắc phục",
			LeadUnitIds:        []string{"0190a1b2-0000-7000-8000-000000000002"},
			CooperatingUnitIds: []string{"0190a1b2-0000-7000-8000-000000000003"},
			Start:              &tasktrackingv1.Timing{Kind: tasktrackingv1.TimingKind_TIMING_KIND_DATE, Date: "2018-09-10"},
			Deadline: &tasktrackingv1.Timing{
				Kind: tasktrackingv1.TimingKind_TIMING_KIND_DATE, Date: "2018-11-30", Text: "Trước ngày 30/11/2018",
			},
			ExpectedProduct: "Báo cáo Chủ tịch UBND tỉnh",
			CriteriaCodes:   []string{"1.1"},
		}},
	}
	draft, err := protoconv.DocumentFromProto(in)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2018, 9, 5, 1, 2, 3, 0, time.UTC)
	n := 0
	d, err := tracking.NewDocument(draft, "user-1", now, func() string { n++; return []string{"", "doc", "task"}[n] })
	if err != nil {
		t.Fatal(err)
	}
	out := protoconv.DocumentToProto(d)

	want := proto.Clone(in).(*tasktrackingv1.Document)
	want.Id, want.Status, want.CreatedBy = "doc", tasktrackingv1.DocumentStatus_DOCUMENT_STATUS_ISSUED, "user-1"
	want.CreateTime, want.UpdateTime = timestamppb.New(now), timestamppb.New(now)
	// A document that names no reporting cycle reports yearly.
	want.ReportingCycle = tasktrackingv1.ReportingCycle_REPORTING_CYCLE_YEARLY
	task := want.Tasks[0]
	task.Id, task.DocumentId, task.CreateTime = "task", "doc", timestamppb.New(now)
	ict := time.FixedZone("", 7*3600)
	task.Start.DueTime = timestamppb.New(time.Date(2018, 9, 10, 23, 59, 59, 999999999, ict))
	task.Deadline.DueTime = timestamppb.New(time.Date(2018, 11, 30, 23, 59, 59, 999999999, ict))
	if diff := cmp.Diff(want, out, protocmp.Transform()); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestDocumentFromProtoReportsImpossibleDates(t *testing.T) {
	_, err := protoconv.DocumentFromProto(&tasktrackingv1.Document{
		SignedOn: "2021-02-29",
		Tasks: []*tasktrackingv1.Task{
			{Deadline: &tasktrackingv1.Timing{Kind: tasktrackingv1.TimingKind_TIMING_KIND_DATE, Date: "2021-04-31"}},
		},
	})
	ves, ok := tracking.AsValidation(err)
	if !ok {
		t.Fatalf("DocumentFromProto = %v, want ValidationErrors", err)
	}
	var got []string
	for _, ve := range ves {
		got = append(got, ve.Field)
	}
	if diff := cmp.Diff([]string{"signed_on", "tasks[0].deadline.date"}, got); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}

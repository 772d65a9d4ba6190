package grpcapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	gproto "google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/apierr"
	"github.com/parindex/platform/services/kit/page"
	"github.com/parindex/platform/services/parscoring/internal/methodology"
)

func TestMappingRoundTrip(t *testing.T) {
	in := &parscoringv1.CriteriaSet{
		Year: 2022, SubjectKind: "province", Name: "Chỉ số CCHC cấp tỉnh 2022", Decision: "876/QĐ-BNV", MaxPoints: "100.00",
		Nodes: []*parscoringv1.CriteriaNode{
			{Code: "1", Name: "Cải cách thủ tục hành chính", MaxPoints: "13.00", PointSource: parscoringv1.PointSource_POINT_SOURCE_APPRAISED, Position: 1},
			{Code: "1.1", ParentCode: "1", Name: "Khảo sát", MaxPoints: "-0.50", Guidance: "g", RequiredEvidence: "e",
				PointSource: parscoringv1.PointSource_POINT_SOURCE_SURVEY, Bonus: false, MaxNotSum: true, Position: 2},
			{Code: "1.2", ParentCode: "1", Name: "Nhập", MaxPoints: "0.25", PointSource: parscoringv1.PointSource_POINT_SOURCE_IMPORTED, Bonus: true, Position: 1},
		},
	}
	set, err := criteriaSetFromProto(in)
	if err != nil {
		t.Fatal(err)
	}
	set.ID = "0190a000-0000-7000-8000-000000000001"
	set.CreateTime = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	want := clone(in)
	want.Id, want.CreateTime = set.ID, timestamppb.New(set.CreateTime)
	// The set is only a mapping fixture: its sums do not add up, which it says.
	want.Problems = []string{
		"nodes[0].max_points: điểm tối đa 13.00 khác tổng điểm tối đa của các mục con (0.00), không tính 2 mục điểm khuyến khích hoặc điểm trừ; nếu đây là chủ ý, đánh dấu max_not_sum",
		"max_points: điểm tối đa 100.00 của bộ tiêu chí khác tổng điểm tối đa của các lĩnh vực (13.00)",
	}
	if diff := cmp.Diff(want, criteriaSetToProto(set, true), protocmp.Transform()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	want.Nodes = nil
	if diff := cmp.Diff(want, criteriaSetToProto(set, false), protocmp.Transform()); diff != "" {
		t.Errorf("without nodes (-want +got):\n%s", diff)
	}
}

// clone returns a copy of m.
func clone(m *parscoringv1.CriteriaSet) *parscoringv1.CriteriaSet {
	return gproto.Clone(m).(*parscoringv1.CriteriaSet)
}

func TestMappingReportsBadPoints(t *testing.T) {
	_, err := criteriaSetFromProto(&parscoringv1.CriteriaSet{MaxPoints: "1.234", Nodes: []*parscoringv1.CriteriaNode{{MaxPoints: "x"}}})
	var ve methodology.ValidationErrors
	if !errors.As(err, &ve) || len(ve) != 2 || ve[0].Field != "max_points" || ve[1].Field != "nodes[0].max_points" {
		t.Errorf("err = %v", err)
	}
}

func TestToStatus(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		err  error
		want codes.Code
	}{
		{fmt.Errorf("create: %w", methodology.ValidationErrors{{Field: "nodes[1].code", Reason: "r"}}), codes.InvalidArgument},
		{fmt.Errorf("list: %w", &page.InvalidTokenError{Err: errors.New("x")}), codes.InvalidArgument},
		{errUnauthenticated, codes.Unauthenticated},
		{errPermissionDenied, codes.PermissionDenied},
		{fmt.Errorf("get: %w", methodology.ErrNotFound), codes.NotFound},
		{fmt.Errorf("create: %w", methodology.ErrAlreadyExists), codes.AlreadyExists},
		{fmt.Errorf("get: %w", context.DeadlineExceeded), codes.DeadlineExceeded},
		{errors.New("connection refused to 10.0.0.5"), codes.Internal},
	}
	for _, tt := range tests {
		st := status.Convert(toStatus(t.Context(), log, tt.err, "criteria_set."))
		if st.Code() != tt.want {
			t.Errorf("%v: code %v, want %v", tt.err, st.Code(), tt.want)
		}
		if tt.want == codes.Internal && st.Message() != apierr.InternalMessage {
			t.Errorf("internal cause leaked: %q", st.Message())
		}
	}
	got := apierr.Violations(toStatus(t.Context(), log, methodology.ValidationErrors{{Field: "nodes[1].code", Reason: "r"}}, "criteria_set."))
	if diff := cmp.Diff([]apierr.FieldViolation{{Field: "criteria_set.nodes[1].code", Description: "r"}}, got); diff != "" {
		t.Errorf("violations (-want +got):\n%s", diff)
	}
}

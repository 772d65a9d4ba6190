package grpcapi

import (
	"context"
	"strings"

	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/tasktracking/internal/app"
	"github.com/parindex/platform/services/tasktracking/internal/export"
)

// msgOwnUnitStatistics refuses a unit's staff the statistics of other units.
const msgOwnUnitStatistics = "Bạn chỉ xem được thống kê nhiệm vụ của đơn vị mình"

// StatisticsServer implements tasktrackingv1.StatisticsServiceServer.
type StatisticsServer struct {
	tasktrackingv1.UnimplementedStatisticsServiceServer
	api   *Server
	stats *app.Statistics
}

// NewStatistics returns the statistics API; api chooses the status codes of errors.
func NewStatistics(api *Server, stats *app.Statistics) *StatisticsServer {
	return &StatisticsServer{api: api, stats: stats}
}

var groupings = map[tasktrackingv1.StatisticsGrouping]app.Grouping{
	tasktrackingv1.StatisticsGrouping_STATISTICS_GROUPING_UNSPECIFIED: app.GroupByUnit,
	tasktrackingv1.StatisticsGrouping_STATISTICS_GROUPING_UNIT:        app.GroupByUnit,
	tasktrackingv1.StatisticsGrouping_STATISTICS_GROUPING_DOCUMENT:    app.GroupByDocument,
	tasktrackingv1.StatisticsGrouping_STATISTICS_GROUPING_PERIOD:      app.GroupByPeriod,
}

// report checks who asks and computes the statistics of req. Those who read everything
// (secretariat, leadership, appraisers, services) choose any unit; a unit's members get
// their own unit's statistics whatever they ask, and another unit's are refused.
func (s *StatisticsServer) report(ctx context.Context, req *tasktrackingv1.GetTaskStatisticsRequest) (app.StatisticsReport, app.Grouping, error) {
	p, err := principal(ctx)
	if err != nil {
		return app.StatisticsReport{}, "", err
	}
	q := app.StatisticsQuery{
		GroupBy:       groupings[req.GetGroupBy()],
		DocumentID:    strings.ToLower(req.GetDocumentId()),
		UnitID:        strings.ToLower(req.GetUnitId()),
		Year:          int(req.GetYear()),
		Quarterly:     req.GetQuarterly(),
		TargetPercent: req.GetCompletionTargetPercent(),
	}
	if ts := req.GetAsOf(); ts != nil {
		q.AsOf = ts.AsTime()
	}
	if v := viewer(p); !v.All {
		switch {
		case v.UnitID == "":
			return app.StatisticsReport{}, "", status.Error(codes.PermissionDenied, msgOwnUnitStatistics)
		case q.UnitID != "" && q.UnitID != v.UnitID:
			return app.StatisticsReport{}, "", status.Error(codes.PermissionDenied, msgOwnUnitStatistics)
		}
		q.UnitID = v.UnitID
	}
	rep, err := s.stats.TaskStatistics(ctx, q)
	if err != nil {
		return app.StatisticsReport{}, "", s.api.toStatus(ctx, err, "")
	}
	return rep, q.GroupBy, nil
}

// GetTaskStatistics returns the statistics.
func (s *StatisticsServer) GetTaskStatistics(ctx context.Context, req *tasktrackingv1.GetTaskStatisticsRequest) (*tasktrackingv1.GetTaskStatisticsResponse, error) {
	rep, _, err := s.report(ctx, req)
	if err != nil {
		return nil, err
	}
	resp := &tasktrackingv1.GetTaskStatisticsResponse{
		Total:                   statisticsToProto(rep.Total),
		CompletionTargetPercent: rep.TargetPercent,
		AsOf:                    timestamppb.New(rep.AsOf),
	}
	for _, r := range rep.Rows {
		resp.Rows = append(resp.Rows, statisticsToProto(r))
	}
	return resp, nil
}

// ExportTaskStatistics returns the statistics as a CSV or XLSX file.
func (s *StatisticsServer) ExportTaskStatistics(ctx context.Context, req *tasktrackingv1.ExportTaskStatisticsRequest) (*httpbody.HttpBody, error) {
	rep, by, err := s.report(ctx, req.GetQuery())
	if err != nil {
		return nil, err
	}
	var (
		data      []byte
		mediaType string
	)
	if req.GetFormat() == tasktrackingv1.ExportFormat_EXPORT_FORMAT_XLSX {
		data, err = export.XLSX(rep, by)
		mediaType = export.MediaTypeXLSX
	} else {
		data, err = export.CSV(rep, by)
		mediaType = export.MediaTypeCSV
	}
	if err != nil {
		return nil, s.api.toStatus(ctx, err, "")
	}
	return &httpbody.HttpBody{ContentType: mediaType, Data: data}, nil
}

func statisticsToProto(r app.StatisticsRow) *tasktrackingv1.TaskStatistics {
	c := r.Counts
	return &tasktrackingv1.TaskStatistics{
		UnitId:                r.UnitID,
		DocumentId:            r.DocumentID,
		Year:                  int32(r.Year),    // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		Quarter:               int32(r.Quarter), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		Label:                 r.Label,
		Total:                 int32(c.Total()),            // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		DoneOnTime:            int32(c.DoneOnTime),         // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		DoneLate:              int32(c.DoneLate),           // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		OpenWithinDeadline:    int32(c.OpenWithinDeadline), // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		OpenOverdue:           int32(c.OpenOverdue),        // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		Closed:                int32(c.Closed),             // #nosec G115 -- year, rank, count or row number of this service: far below 2^31
		CompletionRatePercent: r.CompletionRate,
		OverdueSharePercent:   r.OverdueShare,
		MeetsTarget:           r.MeetsTarget,
	}
}

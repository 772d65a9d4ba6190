package app

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/parindex/platform/services/kit/vntext"
	"github.com/parindex/platform/services/kit/vntime"
	"github.com/parindex/platform/services/parscoring/internal/methodology"
)

// Errors of the feedback channel.
var (
	// ErrFeedbackCodeNotFound: no such code.
	ErrFeedbackCodeNotFound = errors.New("không tìm thấy mã phản hồi")
	// ErrFeedbackCodeRevoked: the code was revoked and takes no more answers.
	ErrFeedbackCodeRevoked = errors.New("mã phản hồi đã bị thu hồi")
)

// FeedbackCode is a QR code through which citizens rate a unit or one of its one-stop desks
// (seed 003 items 6 and 13).
type FeedbackCode struct {
	Code       string
	UnitID     string
	Desk       string
	CreatedBy  string
	CreateTime time.Time
	// RevokeTime is zero while the code is valid.
	RevokeTime time.Time
}

// FeedbackAnswer is one citizen's answer. Ratings are 1–5, 0 when not answered; waiting
// time is in minutes, negative when not answered.
type FeedbackAnswer struct {
	Overall, Attitude, Guidance, Timeliness int
	WaitingMinutes                          int
	Comment                                 string
}

// Satisfaction is a unit's figures for a period.
type Satisfaction struct {
	Responses int
	// Satisfied counts answers with overall ≥ 4.
	Satisfied int
	// OverallSum adds the overall ratings (for the mean).
	OverallSum int
	// Waiting counts answers with a waiting time, WaitingSum adds them.
	Waiting, WaitingSum int
	// Desks are the same figures per desk ("" is the unit's own code).
	Desks []DeskSatisfaction
}

// DeskSatisfaction is one desk's figures.
type DeskSatisfaction struct {
	Desk                                                  string
	Responses, Satisfied, OverallSum, Waiting, WaitingSum int
}

// FeedbackStore persists codes and answers.
type FeedbackStore interface {
	CreateFeedbackCode(ctx context.Context, c FeedbackCode) error
	FeedbackCodes(ctx context.Context, unitID string) ([]FeedbackCode, error)
	// RevokeFeedbackCode marks a code revoked (once) and returns it, or ErrFeedbackCodeNotFound.
	RevokeFeedbackCode(ctx context.Context, code, actor string, at time.Time) (FeedbackCode, error)
	// AddFeedback stores an answer under a valid code: ErrFeedbackCodeNotFound or
	// ErrFeedbackCodeRevoked otherwise.
	AddFeedback(ctx context.Context, id, code string, at time.Time, a FeedbackAnswer) error
	// Satisfaction aggregates a unit's answers received in [from, to).
	Satisfaction(ctx context.Context, unitID string, from, to time.Time) (Satisfaction, error)
}

// Feedback runs the public satisfaction channel.
type Feedback struct {
	store FeedbackStore
	dir   Directory
	now   func() time.Time
}

// NewFeedback returns the feedback use cases on store, checking units in dir; now is the
// clock (nil: time.Now).
func NewFeedback(store FeedbackStore, dir Directory, now func() time.Time) *Feedback {
	if now == nil {
		now = time.Now
	}
	return &Feedback{store: store, dir: dir, now: now}
}

// codeEncoding writes random codes in lower-case letters and digits, easy to print in a
// QR link and to type.
var codeEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// CreateCode makes an unguessable code (80 random bits) for a unit or desk. The unit must
// exist in the directory and not have been dissolved or merged: citizens would otherwise
// rate a unit nobody reads the answers of.
func (f *Feedback) CreateCode(ctx context.Context, unitID, desk, actor string) (FeedbackCode, error) {
	if _, err := uuid.Parse(unitID); err != nil {
		return FeedbackCode{}, methodology.ValidationErrors{{Field: "unit_id", Reason: "mã đơn vị không hợp lệ"}}
	}
	u, err := f.dir.GetUnit(ctx, unitID)
	if errors.Is(err, ErrUnitNotFound) {
		return FeedbackCode{}, methodology.ValidationErrors{{Field: "unit_id", Reason: ErrUnitNotFound.Error()}}
	}
	if err != nil {
		return FeedbackCode{}, fmt.Errorf("feedback code: unit %s: %w", unitID, err)
	}
	if !u.ValidTo.IsZero() && u.ValidTo.Before(vntime.Today(f.now())) {
		return FeedbackCode{}, methodology.ValidationErrors{{Field: "unit_id",
			Reason: fmt.Sprintf("đơn vị %s (%s) không còn hoạt động sau ngày %s (đã giải thể hoặc sáp nhập)", u.Name, u.Code, u.ValidTo.VN())}}
	}
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		return FeedbackCode{}, fmt.Errorf("feedback code: %w", err)
	}
	c := FeedbackCode{
		Code: strings.ToLower(codeEncoding.EncodeToString(b)), UnitID: unitID, Desk: strings.TrimSpace(vntext.NFC(desk)),
		CreatedBy: actor, CreateTime: f.now().UTC().Truncate(time.Microsecond),
	}
	if err := f.store.CreateFeedbackCode(ctx, c); err != nil {
		return FeedbackCode{}, fmt.Errorf("create feedback code: %w", err)
	}
	return c, nil
}

// Codes lists codes, of one unit when unitID is not empty.
func (f *Feedback) Codes(ctx context.Context, unitID string) ([]FeedbackCode, error) {
	return f.store.FeedbackCodes(ctx, unitID)
}

// Revoke revokes a code.
func (f *Feedback) Revoke(ctx context.Context, code, actor string) (FeedbackCode, error) {
	return f.store.RevokeFeedbackCode(ctx, code, actor, f.now().UTC().Truncate(time.Microsecond))
}

// Submit records an answer under a valid code.
func (f *Feedback) Submit(ctx context.Context, code string, a FeedbackAnswer) error {
	var v methodology.ValidationErrors
	if a.Overall < 1 || a.Overall > 5 {
		v = append(v, methodology.ValidationError{Field: "overall", Reason: "mức hài lòng chung từ 1 đến 5"})
	}
	for _, r := range []struct {
		field string
		value int
	}{{"attitude", a.Attitude}, {"guidance", a.Guidance}, {"timeliness", a.Timeliness}} {
		if r.value < 0 || r.value > 5 {
			v = append(v, methodology.ValidationError{Field: r.field, Reason: "đánh giá từ 1 đến 5, hoặc 0 nếu bỏ qua"})
		}
	}
	if a.WaitingMinutes > 24*60 {
		v = append(v, methodology.ValidationError{Field: "waiting_minutes", Reason: "thời gian chờ tối đa 1440 phút"})
	}
	if len(v) > 0 {
		return v
	}
	a.Comment = strings.TrimSpace(vntext.NFC(a.Comment))
	id, err := uuid.NewV7()
	if err != nil {
		return fmt.Errorf("feedback id: %w", err)
	}
	return f.store.AddFeedback(ctx, id.String(), code, f.now().UTC(), a)
}

// Satisfaction returns a unit's figures for the local days from..to (ISO dates, inclusive).
func (f *Feedback) Satisfaction(ctx context.Context, unitID, fromDate, toDate string) (Satisfaction, error) {
	var v methodology.ValidationErrors
	from, err := vntime.ParseISO(fromDate)
	if err != nil {
		v = append(v, methodology.ValidationError{Field: "from_date", Reason: "ngày không hợp lệ, ví dụ 2025-01-01"})
	}
	to, err := vntime.ParseISO(toDate)
	if err != nil {
		v = append(v, methodology.ValidationError{Field: "to_date", Reason: "ngày không hợp lệ, ví dụ 2025-12-31"})
	}
	if len(v) == 0 && to.Before(from) {
		v = append(v, methodology.ValidationError{Field: "to_date", Reason: "ngày cuối phải không trước ngày đầu"})
	}
	if len(v) > 0 {
		return Satisfaction{}, v
	}
	return f.store.Satisfaction(ctx, unitID, from.Start(), to.AddDays(1).Start())
}

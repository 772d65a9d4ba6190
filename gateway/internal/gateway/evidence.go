package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
)

// Evidence files (issue 3 item 4) travel as streams, which grpc-gateway does not map to
// multipart uploads or raw downloads; these two handlers do, over the same gRPC service and
// with the same authorisation (the caller's token is forwarded, the service decides).
const (
	msgNoFile        = "Cần gửi tệp trong trường \"file\" của biểu mẫu multipart/form-data"
	msgNotMultipart  = "Nội dung phải là multipart/form-data"
	uploadChunkBytes = 256 << 10
)

// registerEvidence adds the upload and download routes of evidence files to root.
func registerEvidence(root *http.ServeMux, conn grpc.ClientConnInterface, log *slog.Logger) {
	c := tasktrackingv1.NewProgressReportServiceClient(conn)
	root.HandleFunc("POST /v1/occurrences/{id}/evidence", func(w http.ResponseWriter, r *http.Request) {
		uploadEvidence(w, r, c, log)
	})
	root.HandleFunc("GET /v1/evidence/{id}/content", func(w http.ResponseWriter, r *http.Request) {
		downloadEvidence(w, r, c, log)
	})
}

// outgoing carries the caller's token to the service, as grpc-gateway does for its routes.
func outgoing(r *http.Request) context.Context {
	return metadata.AppendToOutgoingContext(r.Context(), "authorization", r.Header.Get("Authorization"))
}

// writeStatus writes a service error in the gateway's one error shape.
func writeStatus(ctx context.Context, w http.ResponseWriter, log *slog.Logger, path string, err error) {
	st := status.Convert(err)
	if code := st.Code(); code == codes.Internal || code == codes.Unknown || code == codes.Unavailable {
		log.ErrorContext(ctx, "request failed", slog.String("path", path), slog.String("code", codeName(code)), slog.String("error", err.Error()))
	}
	writeError(ctx, w, publicStatus(st))
}

// uploadEvidence streams the "file" part of a multipart form to UploadEvidence. Text parts
// before it give the description ("description") and override the media type
// ("media_type"); the file part's name and Content-Type are the declared ones. The route's
// policy bounds the whole form (normalizeRequest answers 413 before this handler); the
// service bounds the file (MAX_EVIDENCE_BYTES).
func uploadEvidence(w http.ResponseWriter, r *http.Request, c tasktrackingv1.ProgressReportServiceClient, log *slog.Logger) {
	ctx := r.Context()
	mr, err := r.MultipartReader()
	if err != nil {
		writeError(ctx, w, ErrorBody{Code: codes.InvalidArgument, Message: msgNotMultipart})
		return
	}
	meta := &tasktrackingv1.EvidenceMetadata{OccurrenceId: r.PathValue("id")}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			writeError(ctx, w, ErrorBody{Code: codes.InvalidArgument, Message: msgNoFile,
				FieldViolations: []FieldViolation{{Field: "file", Description: msgNoFile}}})
			return
		}
		if err != nil {
			writeError(ctx, w, ErrorBody{Code: codes.InvalidArgument, Message: msgNotMultipart})
			return
		}
		switch part.FormName() {
		case "description", "media_type":
			v, err := io.ReadAll(io.LimitReader(part, 4<<10))
			if err != nil {
				writeError(ctx, w, ErrorBody{Code: codes.InvalidArgument, Message: msgNotMultipart})
				return
			}
			if part.FormName() == "description" {
				meta.Description = string(v)
			} else {
				meta.MediaType = string(v)
			}
		case "file":
			meta.FileName = part.FileName()
			if meta.MediaType == "" {
				meta.MediaType = part.Header.Get("Content-Type")
			}
			resp, err := sendEvidence(outgoing(r), c, meta, part)
			if err != nil {
				writeStatus(ctx, w, log, r.URL.Path, err)
				return
			}
			b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(resp)
			if err != nil {
				writeStatus(ctx, w, log, r.URL.Path, err)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(b) // #nosec G705 -- protojson output served as application/json, not HTML
			return
		}
	}
}

// sendEvidence streams body to UploadEvidence after meta. When the service ends the stream
// early (a refusal), its status is what CloseAndRecv returns; an error reading body is
// returned as is.
func sendEvidence(ctx context.Context, c tasktrackingv1.ProgressReportServiceClient, meta *tasktrackingv1.EvidenceMetadata, body io.Reader) (*tasktrackingv1.UploadEvidenceResponse, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.UploadEvidence(ctx)
	if err != nil {
		return nil, err
	}
	if err := stream.Send(&tasktrackingv1.UploadEvidenceRequest{Part: &tasktrackingv1.UploadEvidenceRequest_Metadata{Metadata: meta}}); err != nil {
		return stream.CloseAndRecv()
	}
	buf := make([]byte, uploadChunkBytes)
	for {
		n, rerr := io.ReadFull(body, buf)
		if n > 0 {
			if err := stream.Send(&tasktrackingv1.UploadEvidenceRequest{Part: &tasktrackingv1.UploadEvidenceRequest_Chunk{Chunk: buf[:n]}}); err != nil {
				return stream.CloseAndRecv()
			}
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			return stream.CloseAndRecv()
		}
		if rerr != nil {
			// Cancelling the stream tells the service the upload is abandoned: it keeps nothing.
			return nil, rerr
		}
	}
}

// downloadEvidence streams DownloadEvidence to the client as the file itself, with its media
// type, length, name and SHA-256 (as the ETag).
func downloadEvidence(w http.ResponseWriter, r *http.Request, c tasktrackingv1.ProgressReportServiceClient, log *slog.Logger) {
	ctx := r.Context()
	stream, err := c.DownloadEvidence(outgoing(r), &tasktrackingv1.DownloadEvidenceRequest{EvidenceId: r.PathValue("id")})
	if err != nil {
		writeStatus(ctx, w, log, r.URL.Path, err)
		return
	}
	first, err := stream.Recv()
	if err != nil {
		writeStatus(ctx, w, log, r.URL.Path, err)
		return
	}
	e := first.GetEvidence()
	if e == nil {
		writeStatus(ctx, w, log, r.URL.Path, status.Error(codes.Internal, "download began without metadata"))
		return
	}
	h := w.Header()
	h.Set("Content-Type", e.GetMediaType())
	h.Set("Content-Length", strconv.FormatInt(e.GetSizeBytes(), 10))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": e.GetFileName()}))
	h.Set("ETag", fmt.Sprintf("%q", e.GetSha256()))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, e.GetSha256()) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.WriteHeader(http.StatusOK)
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			// The status line is gone: cut the connection so the client sees a short body,
			// never a complete-looking truncated file.
			log.ErrorContext(ctx, "evidence download broken", slog.String("path", r.URL.Path), slog.String("error", err.Error()))
			panic(http.ErrAbortHandler)
		}
		if _, err := w.Write(msg.GetChunk()); err != nil {
			return
		}
	}
}

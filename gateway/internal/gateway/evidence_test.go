package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"strconv"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
)

// fakeReports is a peer-service fake of task tracking's evidence streams: it keeps what it
// was sent and serves it back.
type fakeReports struct {
	tasktrackingv1.UnimplementedProgressReportServiceServer
	meta    *tasktrackingv1.EvidenceMetadata
	content []byte
	chunks  int
	auth    string
}

func (f *fakeReports) UploadEvidence(stream grpc.ClientStreamingServer[tasktrackingv1.UploadEvidenceRequest, tasktrackingv1.UploadEvidenceResponse]) error {
	md, _ := metadata.FromIncomingContext(stream.Context())
	if a := md.Get("authorization"); len(a) > 0 {
		f.auth = a[0]
	}
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if m := msg.GetMetadata(); m != nil {
			if m.GetOccurrenceId() == "missing" {
				return status.Error(codes.NotFound, "Không tìm thấy kỳ thực hiện nhiệm vụ")
			}
			f.meta = m
			continue
		}
		f.chunks++
		f.content = append(f.content, msg.GetChunk()...)
	}
	return stream.SendAndClose(&tasktrackingv1.UploadEvidenceResponse{Evidence: &tasktrackingv1.Evidence{
		Id: "ev-1", OccurrenceId: f.meta.GetOccurrenceId(), FileName: f.meta.GetFileName(), MediaType: "application/pdf",
		SizeBytes: int64(len(f.content)), Sha256: "abc123",
	}})
}

func (f *fakeReports) DownloadEvidence(req *tasktrackingv1.DownloadEvidenceRequest, stream grpc.ServerStreamingServer[tasktrackingv1.DownloadEvidenceResponse]) error {
	if req.GetEvidenceId() != "ev-1" {
		return status.Error(codes.NotFound, "Không tìm thấy tài liệu kiểm chứng")
	}
	if err := stream.Send(&tasktrackingv1.DownloadEvidenceResponse{Part: &tasktrackingv1.DownloadEvidenceResponse_Evidence{Evidence: &tasktrackingv1.Evidence{
		Id: "ev-1", FileName: "Báo cáo quý I.pdf", MediaType: "application/pdf", SizeBytes: int64(len(f.content)), Sha256: "abc123",
	}}}); err != nil {
		return err
	}
	for c := range slicesChunk(f.content, 100<<10) {
		if err := stream.Send(&tasktrackingv1.DownloadEvidenceResponse{Part: &tasktrackingv1.DownloadEvidenceResponse_Chunk{Chunk: c}}); err != nil {
			return err
		}
	}
	return nil
}

func slicesChunk(b []byte, n int) func(func([]byte) bool) {
	return func(yield func([]byte) bool) {
		for len(b) > 0 {
			k := min(n, len(b))
			if !yield(b[:k]) {
				return
			}
			b = b[k:]
		}
	}
}

func TestEvidenceUploadAndDownload(t *testing.T) {
	fake := &fakeReports{}
	srv := grpc.NewServer()
	tasktrackingv1.RegisterProgressReportServiceServer(srv, fake)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	hs, _, tok := startGatewayWith(t, func(c *Config) { c.TaskTrackingAddr = lis.Addr().String() })

	content := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("báo cáo "), 40000)...) // > 1 chunk
	form := func(withFile bool) (*bytes.Buffer, string) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		_ = mw.WriteField("description", "Kết quả quý I")
		if withFile {
			fw, _ := mw.CreateFormFile("file", "Báo cáo quý I.pdf")
			_, _ = fw.Write(content)
		}
		_ = mw.Close()
		return &body, mw.FormDataContentType()
	}
	post := func(occ, token string, withFile bool) (*http.Response, map[string]any) {
		body, ct := form(withFile)
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, hs.URL+"/v1/occurrences/"+occ+"/evidence", body)
		req.Header.Set("Content-Type", ct)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp, out
	}

	resp, out := post("occ-1", tok, true)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("upload = %d %v", resp.StatusCode, out)
	}
	ev, _ := out["evidence"].(map[string]any)
	if ev["id"] != "ev-1" || ev["file_name"] != "Báo cáo quý I.pdf" || ev["size_bytes"] != strconv.Itoa(len(content)) {
		t.Errorf("upload response = %v", out)
	}
	if !bytes.Equal(fake.content, content) || fake.chunks < 2 || fake.meta.GetOccurrenceId() != "occ-1" ||
		fake.meta.GetDescription() != "Kết quả quý I" || fake.auth != "Bearer "+tok {
		t.Errorf("service got %d bytes in %d chunks, meta %v, auth %q", len(fake.content), fake.chunks, fake.meta, fake.auth)
	}

	for _, tt := range []struct {
		name, occ, token string
		withFile         bool
		want             int
	}{
		{"no file part", "occ-1", tok, false, http.StatusBadRequest},
		{"occurrence the caller may not see", "missing", tok, true, http.StatusNotFound},
		{"no token", "occ-1", "", true, http.StatusUnauthorized},
	} {
		if resp, out := post(tt.occ, tt.token, tt.withFile); resp.StatusCode != tt.want || out["message"] == "" {
			t.Errorf("%s: %d %v, want %d", tt.name, resp.StatusCode, out, tt.want)
		}
	}

	get := func(id string) (*http.Response, []byte) {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, hs.URL+"/v1/evidence/"+id+"/content", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	dl, b := get("ev-1")
	if dl.StatusCode != http.StatusOK || !bytes.Equal(b, content) {
		t.Fatalf("download = %d, %d bytes", dl.StatusCode, len(b))
	}
	if dl.Header.Get("Content-Type") != "application/pdf" || dl.Header.Get("ETag") != `"abc123"` ||
		dl.Header.Get("Content-Disposition") != "attachment; filename*=utf-8''B%C3%A1o%20c%C3%A1o%20qu%C3%BD%20I.pdf" {
		t.Errorf("download headers = %v", dl.Header)
	}
	if dl, b := get("other"); dl.StatusCode != http.StatusNotFound || !bytes.Contains(b, []byte("NOT_FOUND")) {
		t.Errorf("download of another unit's evidence = %d %s", dl.StatusCode, b)
	}
}

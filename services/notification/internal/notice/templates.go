package notice

import (
	"fmt"
	"strings"
	"text/template"

	"github.com/parindex/platform/services/kit/vntime"
	"github.com/parindex/platform/services/notification/internal/inbox"
)

// Channels a message is rendered for.
const (
	ChannelInbox   = "inbox"
	ChannelEmail   = "email"
	ChannelWebhook = "webhook"
)

// eventTemplate is the wording of one event: a title and a body (inbox and e-mail share
// them; the e-mail adds the portal link and a signature), and the portal path.
type eventTemplate struct {
	title, body, link string
}

// templates hold the wording per event type. Data is a messageData.
var templates = map[string]eventTemplate{
	"tasktracking.v1.task.assigned": {
		title: `Nhiệm vụ mới: {{.TaskCode}} — {{.DocumentLabel}}`,
		body: `Đơn vị được giao {{.Role}} thực hiện nhiệm vụ {{.TaskCode}} theo {{.DocumentLabel}}` +
			`{{with .DocumentTitle}} ({{.}}){{end}}: {{.Content}}` + "\n" +
			`Thời hạn hoàn thành: {{.Deadline}}.`,
		link: `/nhiem-vu/{{.TaskID}}`,
	},
	"tasktracking.v1.occurrence.due_soon": {
		title: `Sắp đến hạn: nhiệm vụ {{.TaskCode}} — {{.DocumentLabel}}`,
		body: `Nhiệm vụ {{.TaskCode}} theo {{.DocumentLabel}} ({{.Role}}) sắp đến hạn hoàn thành: {{.Deadline}}.` +
			"\n" + `Nội dung: {{.Content}}`,
		link: `/nhiem-vu/{{.TaskID}}`,
	},
	"tasktracking.v1.occurrence.overdue": {
		title: `Quá hạn: nhiệm vụ {{.TaskCode}} — {{.DocumentLabel}}`,
		body: `Nhiệm vụ {{.TaskCode}} theo {{.DocumentLabel}} ({{.Role}}) đã quá hạn hoàn thành ngày {{.Deadline}} mà chưa được báo cáo hoàn thành.` +
			"\n" + `Nội dung: {{.Content}}`,
		link: `/nhiem-vu/{{.TaskID}}`,
	},
	"tasktracking.v1.extension.decided": {
		title: `{{if .ExtensionApproved}}Đồng ý gia hạn{{else}}Không đồng ý gia hạn{{end}}: nhiệm vụ {{.TaskCode}}`,
		body: `Đề nghị gia hạn nhiệm vụ {{.TaskCode}} theo {{.DocumentLabel}} {{if .ExtensionApproved}}đã được chấp thuận; thời hạn mới: {{.Deadline}}{{else}}không được chấp thuận; thời hạn giữ nguyên: {{.Deadline}}{{end}}.` +
			`{{with .Reason}}` + "\n" + `Lý do: {{.}}{{end}}`,
		link: `/nhiem-vu/{{.TaskID}}`,
	},
	"tasktracking.v1.report.due": {
		title: `Đến kỳ báo cáo: nhiệm vụ {{.TaskCode}} — {{.DocumentLabel}}`,
		body:  `Đơn vị cần gửi báo cáo kết quả thực hiện nhiệm vụ {{.TaskCode}} theo {{.DocumentLabel}}; hạn báo cáo: {{.Deadline}}.`,
		link:  `/nhiem-vu/{{.TaskID}}`,
	},
	// Periodic reports a directing document requires of a unit (chế độ báo cáo định kỳ);
	// Title carries the period ("quý II/2026").
	"tasktracking.v1.obligation.report_due": {
		title: `Đến hạn báo cáo định kỳ {{.Title}} — {{.DocumentLabel}}`,
		body:  `Đơn vị cần gửi báo cáo {{.Title}} theo {{.DocumentLabel}}{{with .DocumentTitle}} ({{.}}){{end}}; hạn gửi báo cáo: {{.Deadline}}.`,
		link:  `/bao-cao-dinh-ky/{{.RecordID}}`,
	},
	"tasktracking.v1.obligation.overdue": {
		title: `Quá hạn báo cáo định kỳ {{.Title}} — {{.DocumentLabel}}`,
		body:  `Đơn vị chưa gửi báo cáo {{.Title}} theo {{.DocumentLabel}}{{with .DocumentTitle}} ({{.}}){{end}}; hạn gửi báo cáo là ngày {{.Deadline}}.`,
		link:  `/bao-cao-dinh-ky/{{.RecordID}}`,
	},
	"parscoring.v1.results.published": {
		title: `Công bố kết quả Chỉ số cải cách hành chính năm {{.Year}}`,
		body: `Kết quả Chỉ số cải cách hành chính (PAR INDEX) năm {{.Year}} đã được công bố` +
			`{{with .Decision}} theo {{.}}{{end}}. Đề nghị đơn vị xem kết quả, điểm số từng tiêu chí và thứ hạng.`,
		link: `/ket-qua/{{.Year}}`,
	},
	// A correction of published results (a new version): the units whose scores changed,
	// and the province's leadership and secretariat, are told why.
	"parscoring.v1.results.corrected": {
		title: `Điều chỉnh kết quả Chỉ số cải cách hành chính năm {{.Year}}`,
		body: `Kết quả Chỉ số cải cách hành chính (PAR INDEX) năm {{.Year}} đã được điều chỉnh` +
			`{{with .Reason}}; lý do: {{.}}{{end}}. Đề nghị xem lại điểm số từng tiêu chí và thứ hạng theo kết quả đã điều chỉnh.`,
		link: `/ket-qua/{{.Year}}`,
	},
	"accountability.v1.explanation.requested": {
		title: `Yêu cầu giải trình: {{.Subject}}`,
		body: `Người đứng đầu {{with .HeadName}}({{.}}) {{end}}được yêu cầu giải trình về {{.Subject}} năm {{.Year}}; hạn gửi giải trình: {{.Deadline}}.` +
			`{{with .Reason}}` + "\n" + `Lý do: {{.}}{{end}}`,
		link: `/giai-trinh/{{.RecordID}}`,
	},
	"accountability.v1.explanation.returned": {
		title: `Giải trình bị trả lại: {{.Subject}}`,
		body: `Bản giải trình về {{.Subject}} năm {{.Year}} đã bị trả lại để bổ sung; hạn gửi lại: {{.Deadline}}.` +
			`{{with .Reason}}` + "\n" + `Ý kiến: {{.}}{{end}}`,
		link: `/giai-trinh/{{.RecordID}}`,
	},
	"accountability.v1.explanation.overdue": {
		title: `Quá hạn giải trình: {{.Subject}}`,
		body:  `Đã quá hạn gửi giải trình về {{.Subject}} năm {{.Year}} (hạn {{.Deadline}}) mà chưa nhận được bản giải trình{{with .HeadName}} của {{.}}{{end}}.`,
		link:  `/giai-trinh/{{.RecordID}}`,
	},
	"accountability.v1.explanation.concluded": {
		title: `Kết luận giải trình: {{.Subject}}`,
		body:  `Việc giải trình về {{.Subject}} năm {{.Year}} đã có kết luận. Đề nghị đơn vị xem kết luận và xây dựng lộ trình khắc phục.`,
		link:  `/giai-trinh/{{.RecordID}}`,
	},
	"accountability.v1.evaluation.published": {
		title: `Kết quả đánh giá người đứng đầu năm {{.Year}}`,
		body:  `Kết quả đánh giá trách nhiệm người đứng đầu{{with .HeadName}} ({{.}}){{end}} năm {{.Year}}: {{.Tier}}.`,
		link:  `/danh-gia/{{.RecordID}}`,
	},
	"accountability.v1.sanction.proposed": {
		title: `Đề xuất xem xét trách nhiệm người đứng đầu năm {{.Year}}`,
		body: `Đề xuất hình thức xử lý: {{.Kind}} đối với người đứng đầu{{with .HeadName}} ({{.}}){{end}} năm {{.Year}}` +
			`{{with .LegalBasis}}; căn cứ: {{.}}{{end}}.`,
		link: `/xu-ly/{{.RecordID}}`,
	},
}

// parsed holds the compiled templates.
var parsed = func() map[string][3]*template.Template {
	out := map[string][3]*template.Template{}
	for ev, t := range templates {
		out[ev] = [3]*template.Template{
			template.Must(template.New(ev + " title").Option("missingkey=error").Parse(t.title)),
			template.Must(template.New(ev + " body").Option("missingkey=error").Parse(t.body)),
			template.Must(template.New(ev + " link").Option("missingkey=error").Parse(t.link)),
		}
	}
	return out
}()

// messageData is what templates see.
type messageData struct {
	Facts
	// Role words how the unit takes part, "chủ trì" or "phối hợp".
	Role string
	// DocumentLabel names the document ("Kế hoạch 56/KH-UBND").
	DocumentLabel string
	// Deadline is the deadline as dd/mm/yyyy with the document's phrase.
	Deadline string
	// Subject is what an explanation is about: its title, else its node code.
	Subject string
}

// Message is one rendered message.
type Message struct {
	// Title is the inbox title and e-mail subject.
	Title string
	// Body is the text people read.
	Body string
	// Link is the path into the portal ("/nhiem-vu/<id>").
	Link string
}

// Render returns the message of event for recipient r, on channel (inbox or email). The
// e-mail body adds the portal link, absolute under portalBaseURL, and a signature.
func Render(event, channel string, f Facts, r Recipient, portalBaseURL string) (Message, error) {
	ts, ok := parsed[event]
	if !ok {
		return Message{}, fmt.Errorf("notice: no template for %s", event)
	}
	data := messageData{
		Facts:         f,
		Role:          r.Role,
		DocumentLabel: inbox.DocumentLabel(f.DocumentNumber),
		Deadline:      inbox.Deadline(f.Due, f.DeadlineText),
		Subject:       firstNonEmpty(f.Title, f.NodeCode, "nội dung được yêu cầu"),
	}
	if data.Role == "" {
		data.Role = "được giao"
	}
	var out [3]string
	for i, t := range ts {
		var b strings.Builder
		if err := t.Execute(&b, data); err != nil {
			return Message{}, fmt.Errorf("notice: render %s: %w", t.Name(), err)
		}
		out[i] = strings.TrimSpace(b.String())
	}
	m := Message{Title: out[0], Body: out[1], Link: out[2]}
	if channel == ChannelEmail {
		m.Body = m.Body + "\n\nXem chi tiết: " + strings.TrimRight(portalBaseURL, "/") + m.Link +
			"\n\n--\nHệ thống theo dõi Chỉ số cải cách hành chính (PAR INDEX) của tỉnh.\n" +
			"Thư này được gửi tự động; vui lòng không trả lời."
	}
	return m, nil
}

// EscalationMessage words the secretariat's notice that msg (of an explanation request or
// an overdue task) went without reaction.
func EscalationMessage(msg Message, since string) Message {
	return Message{
		Title: "Chuyển Văn phòng/Sở Nội vụ xử lý: " + msg.Title,
		Body:  "Chưa có phản hồi của đơn vị kể từ " + since + ".\n" + msg.Body,
		Link:  msg.Link,
	}
}

// ISODateVN turns an ISO date ("2025-03-31") into dd/mm/yyyy; anything else is returned as is.
func ISODateVN(s string) string {
	d, err := vntime.ParseISO(s)
	if err != nil {
		return s
	}
	return d.VN()
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

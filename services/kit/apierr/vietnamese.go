package apierr

import (
	"regexp"
	"strconv"
	"strings"
)

// violationText is one standard protovalidate message, matched in English with its
// values captured, and its Vietnamese wording with the values put back in order.
type violationText struct {
	english *regexp.Regexp
	vi      string // "%1", "%2" stand for the captured values
}

// violationTexts covers the messages of protovalidate's standard rules (buf/validate/
// validate.proto v1.2 and the Go validator's required / defined_only / oneof rules). The
// messages are matched rather than the rule ids because one wording serves every numeric
// type (int32.gte_lte, int64.gte_lte, double.gte_lte …) and the values are only in it.
// Longer forms come before their prefixes.
var violationTexts = []violationText{
	{regexp.MustCompile(`^value is required$`), "bắt buộc phải có"},
	{regexp.MustCompile(`^exactly one field is required in oneof$`), "phải chọn đúng một trong các trường của nhóm"},
	{regexp.MustCompile(`^value must be one of the defined enum values$`), "phải là một giá trị có trong danh mục"},
	{regexp.MustCompile(`^must be greater than or equal to (.+) and less than or equal to (.+)$`), "phải từ %1 đến %2"},
	{regexp.MustCompile(`^must be greater than or equal to (.+) and less than (.+)$`), "phải lớn hơn hoặc bằng %1 và nhỏ hơn %2"},
	{regexp.MustCompile(`^must be greater than (.+) and less than or equal to (.+)$`), "phải lớn hơn %1 và nhỏ hơn hoặc bằng %2"},
	{regexp.MustCompile(`^must be greater than (.+) and less than (.+)$`), "phải lớn hơn %1 và nhỏ hơn %2"},
	{regexp.MustCompile(`^must be greater than or equal to (.+) or less than or equal to (.+)$`), "phải lớn hơn hoặc bằng %1 hoặc nhỏ hơn hoặc bằng %2"},
	{regexp.MustCompile(`^must be greater than (.+) or less than (.+)$`), "phải lớn hơn %1 hoặc nhỏ hơn %2"},
	{regexp.MustCompile(`^must be greater than or equal to (.+)$`), "phải lớn hơn hoặc bằng %1"},
	{regexp.MustCompile(`^must be greater than (.+)$`), "phải lớn hơn %1"},
	{regexp.MustCompile(`^must be less than or equal to (.+)$`), "phải nhỏ hơn hoặc bằng %1"},
	{regexp.MustCompile(`^must be less than (.+)$`), "phải nhỏ hơn %1"},
	{regexp.MustCompile(`^must equal (.+)$`), "phải bằng %1"},
	{regexp.MustCompile(`^must be in list (.+)$`), "phải là một trong các giá trị %1"},
	{regexp.MustCompile(`^must not be in list (.+)$`), "không được là một trong các giá trị %1"},
	{regexp.MustCompile(`^must be finite$`), "phải là một số hữu hạn"},
	{regexp.MustCompile(`^must be at least (\d+) characters$`), "phải có ít nhất %1 ký tự"},
	{regexp.MustCompile(`^must be at most (\d+) characters$`), "không được dài quá %1 ký tự"},
	{regexp.MustCompile(`^must be (\d+) characters$`), "phải có đúng %1 ký tự"},
	{regexp.MustCompile(`^must be at least (\d+) bytes$`), "phải có ít nhất %1 byte"},
	{regexp.MustCompile(`^must be at most (\d+) bytes$`), "không được vượt quá %1 byte"},
	{regexp.MustCompile(`^must be (\d+) bytes$`), "phải có đúng %1 byte"},
	{regexp.MustCompile("^does not match regex pattern `(.*)`$"), "không đúng định dạng quy định (mẫu `%1`)"},
	{regexp.MustCompile(`^does not have prefix (.+)$`), "phải bắt đầu bằng %1"},
	{regexp.MustCompile(`^does not have suffix (.+)$`), "phải kết thúc bằng %1"},
	{regexp.MustCompile(`^does not contain substring (.+)$`), "phải chứa %1"},
	{regexp.MustCompile(`^must contain at least (\d+) item\(s\)$`), "phải có ít nhất %1 phần tử"},
	{regexp.MustCompile(`^must contain no more than (\d+) item\(s\)$`), "không được có quá %1 phần tử"},
	{regexp.MustCompile(`^repeated value must contain unique items$`), "các phần tử không được trùng nhau"},
	{regexp.MustCompile(`^map must be at least (\d+) entries$`), "phải có ít nhất %1 mục"},
	{regexp.MustCompile(`^map must be at most (\d+) entries$`), "không được có quá %1 mục"},
	{regexp.MustCompile(`^must be a valid UUID$`), "phải là một mã UUID hợp lệ"},
	{regexp.MustCompile(`^value is empty, which is not a valid UUID$`), "không được để trống (cần một mã UUID)"},
	{regexp.MustCompile(`^must be a valid URI$`), "phải là một địa chỉ URI hợp lệ"},
	{regexp.MustCompile(`^value is empty, which is not a valid URI$`), "không được để trống (cần một địa chỉ URI)"},
	{regexp.MustCompile(`^must be a valid email address$`), "phải là một địa chỉ thư điện tử hợp lệ"},
	{regexp.MustCompile(`^value is empty, which is not a valid email address$`), "không được để trống (cần một địa chỉ thư điện tử)"},
	{regexp.MustCompile(`^must be a valid hostname$`), "phải là một tên máy chủ hợp lệ"},
	{regexp.MustCompile(`^must be a valid IP address$`), "phải là một địa chỉ IP hợp lệ"},
}

// ViolationDescription returns the Vietnamese description of a protovalidate violation:
// english is the rule's standard message (values included), which the portal would
// otherwise show as is. A message it does not know (a custom CEL rule, whose message the
// .proto author writes) is returned unchanged.
func ViolationDescription(english string) string {
	for _, t := range violationTexts {
		m := t.english.FindStringSubmatch(english)
		if m == nil {
			continue
		}
		out := t.vi
		for i := 1; i < len(m); i++ {
			out = strings.Replace(out, "%"+strconv.Itoa(i), m[i], 1)
		}
		return out
	}
	return english
}

package apierr_test

import (
	"testing"

	"github.com/parindex/platform/services/kit/apierr"
)

// The standard messages of protovalidate, as its validator produces them for the rules
// the platform's .proto files use, read in Vietnamese with their values kept.
func TestViolationDescription(t *testing.T) {
	tests := map[string]string{
		"value is required":                                                    "bắt buộc phải có",
		"must be a valid UUID":                                                 "phải là một mã UUID hợp lệ",
		"value is empty, which is not a valid UUID":                            "không được để trống (cần một mã UUID)",
		"must be at least 1 characters":                                        "phải có ít nhất 1 ký tự",
		"must be at most 300 characters":                                       "không được dài quá 300 ký tự",
		"must be greater than or equal to 2000 and less than or equal to 2200": "phải từ 2000 đến 2200",
		"must be greater than or equal to 0":                                   "phải lớn hơn hoặc bằng 0",
		"must be greater than 0 and less than 101":                             "phải lớn hơn 0 và nhỏ hơn 101",
		"must be less than or equal to 100":                                    "phải nhỏ hơn hoặc bằng 100",
		"must not be in list [0]":                                              "không được là một trong các giá trị [0]",
		"value must be one of the defined enum values":                         "phải là một giá trị có trong danh mục",
		"must contain at least 1 item(s)":                                      "phải có ít nhất 1 phần tử",
		"must contain no more than 500 item(s)":                                "không được có quá 500 phần tử",
		"repeated value must contain unique items":                             "các phần tử không được trùng nhau",
		"must be at most 1048576 bytes":                                        "không được vượt quá 1048576 byte",
		"must be finite":                                                       "phải là một số hữu hạn",
		"exactly one field is required in oneof":                               "phải chọn đúng một trong các trường của nhóm",
		"does not match regex pattern `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`":          "không đúng định dạng quy định (mẫu `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)",
		// A custom CEL rule's message is the .proto author's: kept.
		"Năm kết thúc phải sau năm bắt đầu": "Năm kết thúc phải sau năm bắt đầu",
	}
	for english, want := range tests {
		if got := apierr.ViolationDescription(english); got != want {
			t.Errorf("ViolationDescription(%q) = %q, want %q", english, got, want)
		}
	}
}

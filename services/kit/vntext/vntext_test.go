package vntext

import (
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/unicode/norm"
)

func TestFold(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"Đồng Nai", "dong nai"},
		{"Tuyên Quang", "tuyen quang"},
		{"Ủy ban nhân dân", "uy ban nhan dan"},
		{"Uỷ ban nhân dân", "uy ban nhan dan"},
		{"Sở  Nội vụ", "so noi vu"},
		{"SO NOI VU", "so noi vu"},
		{"sở nội vụ", "so noi vu"},
		{"  Sở\tTư pháp \n", "so tu phap"},
		{"ĐẮK LẮK", "dak lak"},
		{"Thừa Thiên Huế", "thua thien hue"},
		{"Bà Rịa – Vũng Tàu", "ba ria – vung tau"},
		{"Quyết định 123/QĐ-UBND", "quyet dinh 123/qd-ubnd"},
		{"", ""},
		{"   ", ""},
		// Decomposed input, as typed on macOS.
		{norm.NFD.String("Hưng Yên"), "hung yen"},
	}
	for _, tt := range tests {
		if got := Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFoldEqualForms(t *testing.T) {
	groups := [][]string{
		{"Sở  Nội vụ", "SO NOI VU", "sở nội vụ", norm.NFD.String("Sở Nội Vụ")},
		{"Ủy ban nhân dân tỉnh", "Uỷ ban nhân dân tỉnh", "UỶ BAN NHÂN DÂN TỈNH"},
		{"Hòa Bình", "Hoà Bình"},
	}
	for _, g := range groups {
		for _, s := range g[1:] {
			if Fold(s) != Fold(g[0]) {
				t.Errorf("Fold(%q) = %q differs from Fold(%q) = %q", s, Fold(s), g[0], Fold(g[0]))
			}
		}
	}
}

func TestNFC(t *testing.T) {
	composed := "Nghệ An"
	decomposed := norm.NFD.String(composed)
	if decomposed == composed {
		t.Fatal("test input did not decompose")
	}
	if got := NFC(decomposed); got != composed {
		t.Errorf("NFC(%q) = %q, want %q", decomposed, got, composed)
	}
}

func TestSort(t *testing.T) {
	got := []string{"Gia Lai", "Đồng Nai", "Bắc Giang", "Dương Minh Châu", "An Giang", "Cần Thơ", "Bà Rịa", "Đà Nẵng", "Ấp Bắc", "Ăn Giang"}
	Sort(got)
	// a < ă < â, and d < đ: đ is a separate letter after d in the Vietnamese alphabet.
	want := []string{"An Giang", "Ăn Giang", "Ấp Bắc", "Bà Rịa", "Bắc Giang", "Cần Thơ", "Dương Minh Châu", "Đà Nẵng", "Đồng Nai", "Gia Lai"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Sort (-want +got):\n%s", diff)
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"Dương", "Đà", -1},
		{"Đồng Nai", "Gia Lai", -1},
		{"Bắc", "Bà", 1},
		{"Nghệ An", norm.NFD.String("Nghệ An"), 0},
	}
	for _, tt := range tests {
		if got := Compare(tt.a, tt.b); got != tt.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestCollatorConcurrent(t *testing.T) {
	c := NewCollator()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if c.Compare("Đà Nẵng", "Dương") != 1 {
					t.Error("Compare gave a wrong order under concurrency")
					return
				}
			}
		})
	}
	wg.Wait()
}

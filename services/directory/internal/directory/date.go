package directory

import "github.com/parindex/platform/services/kit/vntime"

// formatDate renders a day as people read it (dd/mm/yyyy).
func formatDate(d vntime.Date) string { return d.VN() }

module github.com/parindex/platform/services/accountability

go 1.26

module github.com/parindex/platform/proto

go 1.26

module github.com/parindex/platform/services/directory

go 1.26

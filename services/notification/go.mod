module github.com/parindex/platform/services/notification

go 1.26

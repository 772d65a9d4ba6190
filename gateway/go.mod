module github.com/parindex/platform/gateway

go 1.26

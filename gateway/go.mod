module github.com/parindex/platform/gateway

go 1.26

require (
	github.com/parindex/platform/proto v0.0.0
	github.com/parindex/platform/services/kit v0.0.0
)

replace github.com/parindex/platform/proto => ../proto

replace github.com/parindex/platform/services/kit => ../services/kit

module github.com/parindex/platform/services/directory

go 1.26.0

require (
	github.com/parindex/platform/proto v0.0.0
	github.com/parindex/platform/services/kit v0.0.0
)

require github.com/google/go-cmp v0.7.0 // indirect

replace github.com/parindex/platform/proto => ../../proto

replace github.com/parindex/platform/services/kit => ../kit

module github.com/parindex/platform/deploy/devstack

go 1.26

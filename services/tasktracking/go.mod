module github.com/parindex/platform/services/tasktracking

go 1.26

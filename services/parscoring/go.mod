module github.com/parindex/platform/services/parscoring

go 1.26

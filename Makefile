# The PAR platform. `make run` starts everything on this machine; `make test` runs every test
# on a real PostgreSQL and a real NATS server. See README.md.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Every Go module of the workspace, in dependency order.
MODULES := proto services/kit services/directory services/tasktracking services/parscoring \
           services/accountability services/notification gateway deploy/devstack
SERVICES := directory tasktracking parscoring accountability notification
BIN := $(CURDIR)/bin
TOOLS_SRC := tools/go.mod tools/go.sum
GO_TEST_FLAGS ?= -count=1 -timeout 15m

.PHONY: help
help: ## List the targets.
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

# --- tools ------------------------------------------------------------------------------

# buf and the protoc plugins are built from tools/go.mod (outside the workspace: buf needs a
# pre-release protobuf that must not reach the services).
$(BIN)/buf $(BIN)/protoc-gen-go $(BIN)/protoc-gen-go-grpc $(BIN)/protoc-gen-grpc-gateway $(BIN)/protoc-gen-openapiv2 &: $(TOOLS_SRC)
	@mkdir -p $(BIN)
	cd tools && GOWORK=off go build -o $(BIN)/ \
		github.com/bufbuild/buf/cmd/buf \
		google.golang.org/protobuf/cmd/protoc-gen-go \
		google.golang.org/grpc/cmd/protoc-gen-go-grpc \
		github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway \
		github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2
	@touch $(BIN)/buf

.PHONY: tools
tools: $(BIN)/buf ## Build buf and the protoc plugins into bin/.

# --- contracts --------------------------------------------------------------------------

.PHONY: generate
generate: tools ## Regenerate Go code and the merged OpenAPI document from proto/.
	$(BIN)/buf generate
	install -m 0644 proto/gen/openapi/par.swagger.json gateway/internal/openapi/par.swagger.json

.PHONY: check-generated
check-generated: generate ## Fail when the committed generated code is stale.
	@git add -N proto/gen gateway/internal/openapi >/dev/null 2>&1 || true
	@if ! git diff --exit-code --stat -- proto/gen gateway/internal/openapi; then \
		echo "generated code is stale: run 'make generate' and commit the result" >&2; exit 1; fi

.PHONY: lint
lint: tools ## buf lint, gofmt and go vet on every module.
	$(BIN)/buf lint
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^proto/gen/')); \
		if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@for m in $(MODULES); do (cd $$m && go vet ./...) || exit 1; done

.PHONY: breaking
breaking: tools ## buf breaking against the main branch.
	@if git rev-parse --verify -q main >/dev/null; then \
		$(BIN)/buf breaking --against '.git#branch=main'; \
	elif git rev-parse --verify -q origin/main >/dev/null; then \
		$(BIN)/buf breaking --against '.git#ref=refs/remotes/origin/main'; \
	else echo "no main branch here: breaking check skipped"; fi

# --- build, test, run -------------------------------------------------------------------

.PHONY: build
build: ## Build every service, the gateway and the dev stack into bin/.
	@mkdir -p $(BIN)
	go build -o $(BIN)/ $(foreach s,$(SERVICES),./services/$(s)/cmd/$(s)) ./gateway/cmd/gateway ./deploy/devstack/cmd/devstack

.PHONY: test
test: ## Every test, on a real PostgreSQL (started by the tests) and a real NATS server.
	@for m in $(MODULES); do echo "== $$m"; (cd $$m && go test $(GO_TEST_FLAGS) ./...) || exit 1; done

.PHONY: bench
bench: ## Benchmarks, with raw baselines measured in the same run.
	@for m in $(MODULES); do (cd $$m && go test -run '^$$' -bench . -benchmem ./...) || exit 1; done

.PHONY: run
run: build ## Start the whole platform on this machine (data kept in .data/).
	$(BIN)/devstack run

.PHONY: token
token: build ## Mint a dev token: make token ARGS="-unit SNV -roles secretariat".
	@$(BIN)/devstack token $(ARGS)

.PHONY: clean
clean: ## Remove built binaries (keeps .data/).
	rm -rf $(BIN)

# --- security checks ----------------------------------------------------------------------

# Checkers installed from the module proxy into a tools bin of their own (not bin/, which
# holds buf and the protoc plugins).
TOOLS_BIN := $(CURDIR)/.tools/bin
GOSEC_VERSION := v2.30.0
GOVULNCHECK_VERSION := v1.9.0
# Every module with Go code of ours (proto holds generated code only).
CHECKED_MODULES := $(filter-out proto,$(MODULES))

$(TOOLS_BIN)/gosec:
	GOBIN=$(TOOLS_BIN) GOWORK=off GOFLAGS= go install github.com/securego/gosec/v2/cmd/gosec@$(GOSEC_VERSION)

$(TOOLS_BIN)/govulncheck:
	GOBIN=$(TOOLS_BIN) GOWORK=off GOFLAGS= go install golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION)

.PHONY: gosec
gosec: $(TOOLS_BIN)/gosec ## gosec on every module: any finding not justified in place (#nosec Gxxx -- reason) fails.
	@for m in $(CHECKED_MODULES); do echo "== gosec $$m"; \
		(cd $$m && $(TOOLS_BIN)/gosec -quiet -exclude-generated ./...) || exit 1; done

.PHONY: vuln
vuln: $(TOOLS_BIN)/govulncheck ## govulncheck on every module, against GOVULNDB (URL or file://copy) or vuln.go.dev when reachable.
	@tools/vulncheck.sh $(TOOLS_BIN)/govulncheck $(CHECKED_MODULES)

.PHONY: fuzz
fuzz: ## Fuzz targets, each for a bounded time (FUZZTIME, default 20s).
	cd gateway && go test -run '^$$' -fuzz FuzzJSONToProtoValidation -fuzztime $${FUZZTIME:-20s} ./internal/gateway/
	cd services/tasktracking && go test -run '^$$' -fuzz FuzzAppendixImport -fuzztime $${FUZZTIME:-20s} ./internal/importer/
	cd services/tasktracking && go test -run '^$$' -fuzz FuzzParseTiming -fuzztime $${FUZZTIME:-20s} ./internal/importer/
	cd services/accountability && go test -run '^$$' -fuzz FuzzParseRows -fuzztime $${FUZZTIME:-20s} ./internal/responsibility/
	cd services/kit && go test -run '^$$' -fuzz FuzzReadCSV -fuzztime $${FUZZTIME:-20s} ./tabular/
	cd services/kit && go test -run '^$$' -fuzz FuzzReadXLSX -fuzztime $${FUZZTIME:-20s} -fuzzminimizetime 50x ./tabular/ # minimising a workbook for the default 60s stalls the run

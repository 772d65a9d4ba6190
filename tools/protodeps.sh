#!/usr/bin/env bash
# Copies the third-party .proto files the contracts import from pinned Go modules into
# proto/third_party. The Buf Schema Registry is not reachable from where this platform is
# built, so buf.yaml has no `deps:`; the copies are committed and this script refreshes them.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=proto/third_party
moddir() { (cd tools && GOWORK=off go mod download -json "$1" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p'); }
gw1=$(moddir github.com/grpc-ecosystem/grpc-gateway@v1.16.0)
gw2=$(moddir github.com/grpc-ecosystem/grpc-gateway/v2@v2.32.0)
pv=$(moddir github.com/bufbuild/protovalidate@v1.2.2)
rm -rf "$dest"
mkdir -p "$dest/google/api" "$dest/protoc-gen-openapiv2/options" "$dest/buf/validate"
for f in annotations http httpbody; do
  install -m 0644 "$gw1/third_party/googleapis/google/api/$f.proto" "$dest/google/api/$f.proto"
done
for f in annotations openapiv2; do
  install -m 0644 "$gw2/protoc-gen-openapiv2/options/$f.proto" "$dest/protoc-gen-openapiv2/options/$f.proto"
done
install -m 0644 "$pv/proto/protovalidate/buf/validate/validate.proto" "$dest/buf/validate/validate.proto"

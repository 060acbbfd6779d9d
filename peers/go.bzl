"""go_local_binary: builds a standard-library-only Go program with the machine's own
Go toolchain (Debian 12's golang-go 1.19), offline.

Bazel 4.2.3 from Debian has no rules_go, and fetching one is not allowed here, so the
rule runs `go build` itself: the sources are listed file by file (one package main,
no go.mod, no imports outside the standard library), GOCACHE/GOPATH/HOME live in a
temporary directory the action creates and removes, GOPROXY=off and GOFLAGS empty
so nothing can be fetched, GOENV=off so no user configuration leaks in, GOTOOLCHAIN
unset, CGO_ENABLED=0 (a static binary, no C toolchain involved), -trimpath and
-buildvcs=false so the output depends on the sources and the toolchain only.

The toolchain: /usr/lib/go-1.19/bin/go if present, else `go` on PATH; it must report
go1.19 or go1.19.N (the peer reads Go 1.19's map layout, see
peers/go_runtime/layout.go). A missing or different toolchain fails the build with
the command that installs the right one.
"""

_BUILD_SCRIPT = """
set -eu
out="$1"
shift
GO=""
for cand in /usr/lib/go-1.19/bin/go "$(command -v go 2>/dev/null || true)"; do
  if [ -n "$cand" ] && [ -x "$cand" ]; then GO="$cand"; break; fi
done
if [ -z "$GO" ]; then
  echo "ERROR: no Go toolchain found (looked for /usr/lib/go-1.19/bin/go and go on PATH)." >&2
  echo "The go_runtime peer is built with Debian 12's Go 1.19: apt-get install golang-go" >&2
  exit 1
fi
ver="$(GOENV=off "$GO" env GOVERSION)"
case "$ver" in
  go1.19|go1.19.[0-9]*) ;;
  *)
    echo "ERROR: $GO is $ver, but the go_runtime peer reads Go 1.19's map layout." >&2
    echo "Install Debian 12's Go 1.19 (apt-get install golang-go, or golang-1.19-go for /usr/lib/go-1.19)." >&2
    exit 1 ;;
esac
tmp="$(mktemp -d "${TMPDIR:-/tmp}/rehashlab-go-build.XXXXXX")"
trap 'chmod -R u+w "$tmp" 2>/dev/null || true; rm -rf "$tmp"' EXIT
unset GOTOOLCHAIN GOROOT GOOS GOARCH GOBIN GOEXPERIMENT GOAMD64 GOMODCACHE
export HOME="$tmp" GOCACHE="$tmp/cache" GOPATH="$tmp/gopath" GOENV=off GOFLAGS= GOPROXY=off \
  GOSUMDB=off GOWORK=off GO111MODULE=on CGO_ENABLED=0 GOTELEMETRY=off
"$GO" build -trimpath -buildvcs=false -o "$out" "$@"
"""

def _go_local_binary_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name)
    srcs = ctx.files.srcs
    ctx.actions.run_shell(
        inputs = srcs,
        outputs = [out],
        command = _BUILD_SCRIPT,
        arguments = [out.path] + [f.path for f in srcs],
        mnemonic = "GoLocalBuild",
        progress_message = "Building %s with the local Go toolchain" % ctx.label,
        use_default_shell_env = True,
    )
    return [DefaultInfo(
        executable = out,
        files = depset([out]),
        runfiles = ctx.runfiles(files = [out]),
    )]

go_local_binary = rule(
    implementation = _go_local_binary_impl,
    executable = True,
    attrs = {
        "srcs": attr.label_list(
            allow_files = [".go"],
            mandatory = True,
            doc = "the .go files of one package main (standard library imports only)",
        ),
    },
    doc = "A Go program built offline by the machine's Go 1.19 toolchain (see the file comment).",
)

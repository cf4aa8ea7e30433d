#!/usr/bin/env bash
# Builds the app of docs/own-app.md in a fresh directory from the PACKED library, as a user would:
# installs the tarball with npm (registry only; --prefer-offline uses the npm cache), synthesizes it
# with the cdk CLI, runs `cdk-stateful-workflows summary`, `diagram` and `run` on its cdk.out, and
# runs its jest test (LocalWorkflowRunner) in the fresh app.
#
#   test/package/fresh-app.sh [path/to/cdk-stateful-workflows-x.y.z.tgz]
#
# Without an argument it takes $CSW_TARBALL, else dist/js/*.tgz (written by `npx projen package:js`),
# else runs `npm pack` on the built lib/ (needs a prior `npx projen compile` or build).
# The versions of the other packages are those this repository is tested with (its node_modules).
# Runs outside the jest suite (a step of .ci/run). Keeps the app directory when $KEEP_APP is set.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DOC="$ROOT/docs/own-app.md"
step() { printf '\n== fresh-app: %s\n' "$*" >&2; }
die() { printf 'fresh-app: FAILED: %s\n' "$*" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/csw-fresh-app.XXXXXX")"
cleanup() { if [ -z "${KEEP_APP:-}" ]; then rm -rf "$WORK"; else echo "fresh-app: app kept in $WORK/app" >&2; fi; }
trap cleanup EXIT

# ---- 1. the tarball
TARBALL="${1:-${CSW_TARBALL:-}}"
if [ -z "$TARBALL" ]; then
  TARBALL="$(ls -t "$ROOT"/dist/js/*.tgz 2>/dev/null | head -1 || true)"
fi
if [ -z "$TARBALL" ]; then
  [ -f "$ROOT/lib/index.js" ] && [ -f "$ROOT/lib/cli/main.js" ] \
    || die "no tarball given and no built lib/ in $ROOT: build first (npx projen build, or npx projen compile), or pass a tarball"
  step "npm pack ($ROOT)"
  NAME="$(cd "$ROOT" && npm pack --silent --pack-destination "$WORK")"
  TARBALL="$WORK/$(echo "$NAME" | tail -1)"
fi
[ -f "$TARBALL" ] || die "tarball '$TARBALL' does not exist"
TARBALL="$(cd "$(dirname "$TARBALL")" && pwd)/$(basename "$TARBALL")"
step "tarball $TARBALL ($(du -h "$TARBALL" | cut -f1))"
tar -tzf "$TARBALL" > "$WORK/contents.txt" # (not piped into grep -q: with pipefail, tar's SIGPIPE would fail the check)
grep -q '^package/lib/cli/main.js$' "$WORK/contents.txt" || die "the tarball has no lib/cli/main.js (the bin)"
grep -q '^package/lib/testing/index.js$' "$WORK/contents.txt" || die "the tarball has no lib/testing/index.js"

ver() { node -p "require('$ROOT/node_modules/$1/package.json').version"; }

# ---- 2. a fresh app, its files taken verbatim from docs/own-app.md (fences with filename=...)
APP="$WORK/app"
mkdir -p "$APP"
node - "$DOC" "$APP" <<'EOF'
const fs = require('fs');
const path = require('path');
const [doc, dir] = process.argv.slice(2);
const text = fs.readFileSync(doc, 'utf8');
const fence = /^```[a-z]+ filename=(\S+)\n([\s\S]*?)^```$/gm;
let n = 0;
for (const m of text.matchAll(fence)) {
  const file = path.join(dir, m[1]);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, m[2]);
  n++;
}
if (n < 8) throw new Error(`expected the app's files in ${doc}, found ${n}`);
console.error(`fresh-app: ${n} files from ${path.basename(doc)}`);
EOF
cat > "$APP/package.json" <<EOF
{ "name": "payments", "version": "1.0.0", "private": true }
EOF

cd "$APP"
NPM_FLAGS=(--prefer-offline --no-audit --no-fund --loglevel=error)
step "npm install the tarball and the peers (aws-cdk-lib $(ver aws-cdk-lib), constructs $(ver constructs))"
npm install "${NPM_FLAGS[@]}" "$TARBALL" "aws-cdk-lib@$(ver aws-cdk-lib)" "constructs@$(ver constructs)"
step "npm install the dev dependencies of the walkthrough"
npm install "${NPM_FLAGS[@]}" --save-dev \
  "aws-cdk@$(ver aws-cdk)" "typescript@$(ver typescript)" "tsx@$(ver tsx)" "@types/node@$(ver @types/node)" \
  "esbuild@$(ver esbuild)" "jest@$(ver jest)" "ts-jest@$(ver ts-jest)" "@types/jest@$(ver @types/jest)" \
  "aws-local-stepfunctions@$(ver aws-local-stepfunctions)" "dynalite@$(ver dynalite)"

export CDK_DISABLE_CLI_TELEMETRY=true
# ---- 3. type-check and synthesize with the cdk CLI
step "tsc --noEmit (the walkthrough's tsconfig resolves the library's subpath exports)"
node_modules/.bin/tsc --noEmit -p tsconfig.json
step "cdk synth"
node_modules/.bin/cdk synth --quiet --no-notices
[ -f cdk.out/manifest.json ] || die "cdk synth wrote no cdk.out/manifest.json"

# ---- 4. the command line on the fresh cdk.out
CLI=node_modules/.bin/cdk-stateful-workflows
[ -x "$CLI" ] || die "the package installed no executable cdk-stateful-workflows"
step "cdk-stateful-workflows summary"
"$CLI" summary > summary.txt
cat summary.txt
grep -q '^Payments/Payment  \[STANDARD\]' summary.txt || die "summary does not list the Payments/Payment workflow"
grep -q 'happy path: 3 transitions: Saga: check input > Charge > Book' summary.txt || die "summary has not the happy path Charge > Book"
grep -q 'estimated cost: \$75.00 per million executions' summary.txt || die "summary has not the cost estimate"
grep -q 'none notifies anyone (no AlarmActions)' summary.txt || die "summary does not say the alarms notify nobody"

step "cdk-stateful-workflows diagram"
"$CLI" diagram
[ -f cdk.out/diagrams/Payments-Payment.mmd ] || die "diagram wrote no cdk.out/diagrams/Payments-Payment.mmd"
grep -q 'flowchart TD' cdk.out/diagrams/Payments-Payment.mmd || die "the diagram is not a Mermaid flowchart"
grep -q -- '-.->|"on any error"|' cdk.out/diagrams/Payments-Payment.mmd || die "the diagram has no compensation (Catch) edge"
if command -v dot >/dev/null 2>&1; then
  "$CLI" diagram --format svg --out svg
  grep -q '<svg' svg/Payments-Payment.svg || die "diagram --format svg wrote no SVG"
else
  "$CLI" diagram --format svg --out svg 2> svg.err
  grep -q "Graphviz 'dot' is not installed" svg.err || die "diagram --format svg without Graphviz did not say so"
fi

step "cdk-stateful-workflows run (LocalWorkflowRunner through the CLI)"
set +e
"$CLI" run Payment --input payment.json --handlers local-handlers.js > run.txt
RUN_STATUS=$?
set -e
cat run.txt
[ "$RUN_STATUS" = 1 ] || die "run of a rejected payment exited $RUN_STATUS, expected 1"
grep -q 'Payments/Payment: FAILED' run.txt || die "run did not print the failed status"
grep -q '    > Refund' run.txt || die "run did not print the compensation in the trace"

# ---- 5. the walkthrough's jest test, in the fresh app
step "jest (the walkthrough's test, with LocalWorkflowRunner)"
node_modules/.bin/jest --ci > jest.txt 2>&1 || { cat jest.txt; die "the fresh app's jest test failed"; }
cat jest.txt
grep -q 'Tests: *3 passed, 3 total' jest.txt || die "the fresh app's jest tests (runner and WorkflowClient against runner.serve()) did not pass 3 tests"

step "OK: packed library installed, synthesized, summarized, drawn, run and tested in a fresh app"

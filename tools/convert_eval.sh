#!/bin/sh
# tools/convert_eval.sh: measure `onnx-opt convert` on the ONNX backend suite.
#
# For every suite model and each target opset, convert with onnx-opt, run the result
# with ONNX Runtime through the reference harness (node-tests.js --model-transform) and
# compare with the expected outputs; then the same pairs through
# onnx.version_converter (python3-onnx, targets <= 17) for comparison. Only tests that
# ORT passes unconverted (the baseline) count. Per target it prints:
#   correct  converted, ran, outputs match
#   refused  onnx-opt refused with a reason (its --report JSON), or the converter raised
#   wrong    converted, but ORT's outputs differ or the run fails (must be 0)
#   noload   converted, but ORT would not load the result (listed, to look at by hand)
#
# Usage: tools/convert_eval.sh ORT_HARNESS_DIR OUT_DIR [TARGET...]
#   ORT_HARNESS_DIR: an installed copy of shared/tools/ort (see its README)
#   ONNX_OPT: the binary (default: ./onnx-opt beside this script's parent)
#   TARGETS default: 11 13 17 and the newest opset onnx-opt knows
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
ort=${1:?usage: convert_eval.sh ORT_HARNESS_DIR OUT_DIR [TARGET...]}
out=${2:?usage: convert_eval.sh ORT_HARNESS_DIR OUT_DIR [TARGET...]}
shift 2
opt=${ONNX_OPT:-$here/onnx-opt}
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ $# -eq 0 ]; then
	newest=$("$opt" convert --help | sed -n 's/.*(required; 7 to \([0-9]*\)).*/\1/p')
	set -- 11 13 17 "$newest"
fi
jobs=${JOBS:-2}

cat > "$out/vc_convert.py" <<'EOF'
import sys, onnx
from onnx import version_converter
src, dst, target = sys.argv[1], sys.argv[2], int(sys.argv[3])
m = onnx.load(src)
try:
    c = version_converter.convert_version(m, target)
except Exception as e:
    sys.stderr.write("version_converter: %s\n" % str(e).splitlines()[0][:200] if str(e) else repr(e))
    sys.exit(1)
onnx.save(c, dst)
EOF

cd "$ort"
if [ ! -f "$out/baseline.tsv" ]; then
	node node-tests.js --level disabled --jobs "$jobs" --out "$out/baseline.tsv" > "$out/baseline.log" 2>&1 || true
fi
for t in "$@"; do
	mkdir -p "$out/reports-$t"
	node node-tests.js --level disabled --jobs "$jobs" \
		--model-transform "$opt convert {in} --opset $t -o {out} -q --report $out/reports-$t/{category}__{test}.json" \
		--baseline "$out/baseline.tsv" --out "$out/ours-$t.tsv" > "$out/ours-$t.log" 2>&1 || true
	# version_converter does not change between runs: keep an earlier result.
	if [ "$t" -le 17 ] && [ ! -f "$out/vc-$t.tsv" ]; then
		node node-tests.js --level disabled --jobs "$jobs" \
			--model-transform "/usr/bin/python3 $out/vc_convert.py {in} {out} $t" \
			--baseline "$out/baseline.tsv" --out "$out/vc-$t.tsv" > "$out/vc-$t.log" 2>&1 || true
	fi
done

# Our executor on the same conversions: a copy of the suite tree whose model.onnx
# files are the converted ones (cases onnx-opt refused are left out), run by
# tests/conformance; the originals give the baseline.
conf=${CONFORMANCE:-$here/tests/conformance}
data=/usr/share/libonnx-testdata/data
if [ -x "$conf" ]; then
	[ -f "$out/exec-baseline.txt" ] || ONNX_TESTDATA=$data "$conf" -v -x /dev/null > "$out/exec-baseline.txt" 2>&1 || true
	for t in "$@"; do
		tree="$out/tree-$t"
		rm -rf "$tree"
		for m in "$data"/*/*/model.onnx; do
			d=$(dirname "$m"); c=$(basename "$(dirname "$d")"); n=$(basename "$d")
			mkdir -p "$tree/$c/$n"
			if "$opt" convert "$m" --opset "$t" -o "$tree/$c/$n/model.onnx" -q >/dev/null 2>&1; then
				for s in "$d"/test_data_set_*; do ln -s "$s" "$tree/$c/$n/"; done
			else
				rmdir "$tree/$c/$n"
			fi
		done
		ONNX_TESTDATA=$tree "$conf" -v -x /dev/null > "$out/exec-$t.txt" 2>&1 || true
	done
fi

/usr/bin/python3 - "$out" "$@" <<'EOF'
import csv, json, os, sys
out, targets = sys.argv[1], sys.argv[2:]
def load(p):
    if not os.path.exists(p):
        return None
    with open(p) as f:
        r = csv.reader(f, delimiter='\t')
        rows = list(r)
    hdr = rows[0]
    return {(row[1], row[0]): dict(zip(hdr, row)) for row in rows[1:] if len(row) >= 3}
base = load(os.path.join(out, 'baseline.tsv'))
ok = {k for k, v in base.items() if v['status'] == 'pass'}
summary = {}
for t in targets:
    for who in ('ours', 'vc'):
        res = load(os.path.join(out, '%s-%s.tsv' % (who, t)))
        if res is None:
            continue
        c = {'correct': 0, 'refused': 0, 'wrong': 0, 'noload': 0}
        lists = {k: [] for k in c}
        correct_set = set()
        for k in sorted(ok):
            v = res.get(k)
            st = v['status'] if v else 'missing'
            name = '%s/%s' % k
            if st == 'pass':
                c['correct'] += 1; correct_set.add(k)
            elif st == 'transform-fail':
                c['refused'] += 1; lists['refused'].append(name)
            elif st == 'load-fail':
                c['noload'] += 1; lists['noload'].append('%s: %s' % (name, v['message'][:160]))
            elif st.startswith('skipped'):
                continue
            else:
                c['wrong'] += 1; lists['wrong'].append('%s: %s %s' % (name, st, (v or {}).get('message', '')[:160]))
        summary[(who, t)] = (c, correct_set)
        print('%-4s target %-3s baseline-pass %d: correct %d, refused %d, wrong %d, noload %d'
              % (who, t, len(ok), c['correct'], c['refused'], c['wrong'], c['noload']))
        with open(os.path.join(out, '%s-%s.lists.txt' % (who, t)), 'w') as f:
            for k in ('wrong', 'noload', 'refused'):
                f.write('## %s\n' % k)
                for x in lists[k]:
                    f.write(x + '\n')
    if ('ours', t) in summary and ('vc', t) in summary:
        o, v = summary[('ours', t)][1], summary[('vc', t)][1]
        print('     target %-3s both correct %d, only ours %d, only version_converter %d: %s'
              % (t, len(o & v), len(o - v), len(v - o), ' '.join('%s/%s' % k for k in sorted(v - o))[:600]))
# Our executor: over the cases it passes unconverted.
def exec_results(p):
    r = {}
    if not os.path.exists(p):
        return None
    for line in open(p):
        w = line.split(' ', 1)
        if len(w) == 2 and w[0] in ('PASS', 'FAIL', 'SKIP'):
            r[w[1].split(':')[0].strip()] = w[0]
    return r
eb = exec_results(os.path.join(out, 'exec-baseline.txt'))
if eb is not None:
    ok_exec = {k for k, v in eb.items() if v == 'PASS'}
    for t in targets:
        er = exec_results(os.path.join(out, 'exec-%s.txt' % t))
        if er is None:
            continue
        c = {'correct': 0, 'refused': 0, 'wrong': 0}
        wrong = []
        for k in sorted(ok_exec):
            st = er.get(k)
            if st is None:
                c['refused'] += 1
            elif st == 'PASS':
                c['correct'] += 1
            elif st == 'FAIL':
                c['wrong'] += 1; wrong.append(k)
        print('exec target %-3s baseline-pass %d: correct %d, refused %d, not passing %d %s'
              % (t, len(ok_exec), c['correct'], c['refused'], c['wrong'], ' '.join(wrong)[:400]))
# Reasons onnx-opt gave, by op and reason.
for t in targets:
    d = os.path.join(out, 'reports-%s' % t)
    if not os.path.isdir(d):
        continue
    reasons = {}
    for fn in os.listdir(d):
        try:
            j = json.load(open(os.path.join(d, fn)))
        except Exception:
            continue
        for it in j.get('unconverted', []):
            key = '%s: %s' % (it['op'], it['reason'])
            reasons[key] = reasons.get(key, 0) + 1
    with open(os.path.join(out, 'reasons-%s.txt' % t), 'w') as f:
        for k, n in sorted(reasons.items(), key=lambda x: -x[1]):
            f.write('%5d %s\n' % (n, k))
EOF
